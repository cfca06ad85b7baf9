"""Per-binding controls the gateway enforces: guards, and the circuit breaker's pause.

:meth:`BindingControls.snapshot` is the gateway's one query per request: the binding, the
credential version it uses *now*, its guards and its pause, read together, so a replaced key
or a changed guard reaches the very next request of every bot without a restart.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradebind.domain.credentials import Binding, Exchange, ResolvedBinding
from tradebind.domain.market import Market
from tradebind.store.commit_watch import CommitWatch
from tradebind.store.engine import Store
from tradebind.store.errors import Invalid, NotFound
from tradebind.store.gateway_tables import BindingGuardRow, BindingPauseRow, SentOrderRow
from tradebind.store.scope import OwnerScoped
from tradebind.store.sent_orders import SENT_FROM_BINDING
from tradebind.store.tables import CURRENT_VERSION, BindingRow, CredentialRow, CredentialVersionRow, utcnow

__all__ = ["BindingControls", "BindingGuards", "BindingPause", "BindingSnapshot", "SnapshotReader"]

MAX_SYMBOLS = 200


@dataclass(frozen=True, slots=True)
class BindingGuards:
    """Symbols bots may trade (empty: any) and the largest order value in quote units (None: any)."""

    allowed_symbols: tuple[str, ...] = ()
    max_order_value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BindingPause:
    """Why the binding's bots wait: the verdict and fix of the refusal, and the refused version."""

    verdict: str
    fix: str
    version: int
    paused_at: datetime


@dataclass(frozen=True, slots=True)
class BindingSnapshot:
    resolved: ResolvedBinding
    guards: BindingGuards
    pause: BindingPause | None


def _clean_symbols(symbols: Iterable[str]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for s in symbols:
        if not isinstance(s, str) or not s.strip() or len(s.strip()) > 64:
            raise Invalid("allowed_symbols: each symbol must be 1 to 64 characters", field="allowed_symbols")
        if s.strip() not in cleaned:
            cleaned.append(s.strip())
    if len(cleaned) > MAX_SYMBOLS:
        raise Invalid(f"allowed_symbols: at most {MAX_SYMBOLS} symbols", field="allowed_symbols")
    return tuple(cleaned)


def _clean_value(value: Decimal | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Invalid("max_order_value: must be a number", field="max_order_value") from None
    if not number.is_finite() or number <= 0 or number >= Decimal(10) ** 20:
        raise Invalid("max_order_value: must be a positive amount below 10^20", field="max_order_value")
    return number


# Built once: this query runs before every exchange request, and building a SELECT costs more
# than running it on SQLite. Columns, not ORM entities, for the same reason.
_SNAPSHOT = (
    select(
        BindingRow.id,
        BindingRow.owner_id,
        BindingRow.credential_id,
        BindingRow.market,
        BindingRow.label,
        BindingRow.created_at,
        CredentialRow.exchange,
        CredentialVersionRow.version,
        CredentialVersionRow.id,
        CredentialVersionRow.key_id_masked,
        CredentialRow.exchange_account,
        BindingGuardRow.allowed_symbols,
        BindingGuardRow.max_order_value,
        BindingPauseRow.verdict,
        BindingPauseRow.fix,
        BindingPauseRow.version,
        BindingPauseRow.paused_at,
    )
    .join(CredentialRow, CredentialRow.id == BindingRow.credential_id)
    .join(CredentialVersionRow, CURRENT_VERSION)
    .outerjoin(BindingGuardRow, BindingGuardRow.binding_id == BindingRow.id)
    .outerjoin(BindingPauseRow, BindingPauseRow.binding_id == BindingRow.id)
    .where(BindingRow.owner_id == bindparam("owner"), BindingRow.id == bindparam("binding"))
)


# RETURNING tells whether a row went in: rowcount of INSERT ... SELECT is -1 on psycopg.
_MARK_SENT = SENT_FROM_BINDING.returning(cast(Table, SentOrderRow.__table__).c.binding_id)


def _snapshot_of(found: Sequence[Any] | None) -> BindingSnapshot:
    if found is None:
        raise NotFound("binding not found")
    (bid, owner, credential_id, market, label, created, exchange, version, version_id, masked, account,
     symbols, max_value, verdict, fix, paused_version, paused_at) = found  # fmt: skip
    resolved = ResolvedBinding(
        binding=Binding(bid, owner, credential_id, Market(market), label, created),
        credential_id=credential_id,
        exchange=Exchange(exchange),
        version=version,
        version_id=version_id,
        key_id_masked=masked,
        exchange_account=account,
    )
    guards = BindingGuards(tuple(str(x) for x in symbols or ()), max_value)
    pause = BindingPause(verdict, fix, paused_version, paused_at) if verdict is not None else None
    return BindingSnapshot(resolved, guards, pause)


class _Kept(NamedTuple):
    """A snapshot as read: the binding generation and commit token it was read at (None: unknown),
    and the raw row it came from."""

    generation: int | None
    token: bytes | None
    row: tuple[Any, ...]
    snapshot: BindingSnapshot


class SnapshotReader:
    """:meth:`BindingControls.snapshot` for a hot path: what a fresh read would return, every time.

    On a SQLite file it runs on a connection of its own in autocommit mode (each statement sees
    the latest commit, as a new transaction would) through the sqlite3 module's statement cache,
    with SQLAlchemy's own result processors for the column types. Each snapshot is kept with the
    binding generation it was read at (:class:`~tradebind.store.gateway_tables.BindingGenerationRow`,
    read with the row in one read transaction) and the commit token of the database then
    (:class:`~tradebind.store.commit_watch.CommitWatch`, in WAL mode). A kept snapshot is returned
    without any SQL while the token stands still (nothing has committed since, anywhere: 0.2 µs);
    once it moves, by the generation (one page: 12–16 µs once other connections' commits have
    emptied this connection's page cache, where the five-table join costs 30–35 µs), read once
    per token for all bindings; if that has not moved, no change to any table the snapshot reads
    has committed since. Without the generation's triggers (a database migrated by hand) it reads
    fresh whenever the token moved (:attr:`keeps_snapshots` is False), and without a commit watch
    it reads the generation every time. Elsewhere (PostgreSQL) it is
    :meth:`BindingControls.snapshot`. Owner-scoped like it: the query filters by owner.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, str], _Kept] = {}
        self._raw = store.sqlite_file_connection()
        self._tracked = False
        self._watch: CommitWatch | None = None
        self._seen: tuple[bytes | None, int | None] = (None, None)  # (token, generation) at the last look
        if self._raw is not None:
            engine = store.engine
            compiled = _SNAPSHOT.compile(dialect=engine.dialect)
            self._sql = str(compiled)
            self._order = tuple(compiled.positiontup or ())
            self._processors = [
                c.type.dialect_impl(engine.dialect).result_processor(engine.dialect, None)
                for c in _SNAPSHOT.selected_columns
            ]
            self._tracked = _generation_tracked(self._raw)
            sqlite_file = store.sqlite_file
            assert sqlite_file is not None  # a raw connection is made for SQLite files only
            self._watch = CommitWatch.open(sqlite_file, self._raw)

    @property
    def keeps_snapshots(self) -> bool:
        """Whether a snapshot is kept while the binding generation stands still (else: read fresh)."""
        return self._tracked

    @property
    def watches_commits(self) -> bool:
        """Whether commits are seen without SQL (a SQLite file in WAL mode; see :meth:`read`)."""
        return self._watch is not None

    def snapshot(self, owner_id: str, binding_id: str) -> BindingSnapshot:
        return self.read(owner_id, binding_id)[0]

    def read(self, owner_id: str, binding_id: str) -> tuple[BindingSnapshot, bytes | None]:
        """The binding's snapshot as of now, and the commit token it is current at: while
        :meth:`unchanged` says so of that token, nothing has committed since, so the snapshot is
        still what a read would return. None where commits are not watched."""
        if self._raw is None:
            return BindingControls(self._store, owner_id).snapshot(binding_id), None
        key = (owner_id, binding_id)
        kept = self._kept.get(key)
        watch = self._watch
        # Taken before anything is read, so whatever is read below is at least this current.
        token = watch.token() if watch is not None else None
        if (
            kept is not None
            and token is not None
            and (kept.token == token or (kept.generation is not None and self._seen == (token, kept.generation)))
        ):
            return kept.snapshot, token
        with self._lock:  # one sqlite3 connection, callable from any thread
            raw = self._raw
            if kept is not None and kept.generation is not None:
                generation = raw.execute(_GENERATION).fetchone()[0]
                self._seen = (token, generation)
                if generation == kept.generation:
                    return kept.snapshot, token
            params = [{"owner": owner_id, "binding": binding_id}[name] for name in self._order]
            if self._tracked:
                raw.execute("BEGIN")  # the generation and the row as of one commit
                try:
                    generation = raw.execute(_GENERATION).fetchone()[0]
                    row = raw.execute(self._sql, params).fetchone()
                finally:
                    raw.execute("COMMIT")
                self._seen = (token, generation)
            else:
                generation, row = None, raw.execute(self._sql, params).fetchone()
        if row is None:
            self._kept.pop(key, None)
            raise NotFound("binding not found")
        if kept is not None and kept.row == row:  # unchanged: skip the type conversions
            snapshot = kept.snapshot
        else:
            snapshot = _snapshot_of([p(v) if p is not None else v for p, v in zip(self._processors, row, strict=True)])
        self._kept[key] = _Kept(generation, token, row, snapshot)
        return snapshot, token

    def unchanged(self, token: bytes | None) -> bool:
        """Whether nothing has committed since ``token`` (from :meth:`read`); False when unknown."""
        watch = self._watch
        return token is not None and watch is not None and watch.token() == token

    def close(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.close()
        if self._raw is not None:
            self._raw.close()
            self._raw = None


_GENERATION = "SELECT n FROM binding_generation WHERE id = 1"  # BindingGenerationRow
_SNAPSHOT_TABLES = sorted({cast(Table, c.table).name for c in _SNAPSHOT.selected_columns})


def _generation_tracked(conn: sqlite3.Connection) -> bool:
    """Whether every table of the snapshot moves the generation on insert, update and delete (the
    triggers of migration ``0007_binding_generation``); a snapshot may be kept only then."""
    names = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    return all(f"binding_generation_{t}_{e}" in names for t in _SNAPSHOT_TABLES for e in ("insert", "update", "delete"))


class BindingControls(OwnerScoped):
    """One owner's binding guards and pauses; another owner's binding raises :class:`NotFound`."""

    def snapshot(self, binding_id: str) -> BindingSnapshot:
        with self._store.engine.connect() as conn:
            found = conn.execute(_SNAPSHOT, {"owner": self._owner, "binding": binding_id}).one_or_none()
        return _snapshot_of(found)

    def guards(self, binding_id: str) -> BindingGuards:
        with self._store.read() as session:
            self._binding(session, binding_id)
            return _guards(session.get(BindingGuardRow, binding_id))

    def set_guards(
        self, binding_id: str, *, allowed_symbols: Iterable[str] = (), max_order_value: Decimal | str | None = None
    ) -> BindingGuards:
        """Replace the binding's guards; :class:`Invalid` naming the field on bad input."""
        symbols, value = _clean_symbols(allowed_symbols), _clean_value(max_order_value)
        with self._store.write() as session:
            binding = self._binding(session, binding_id)
            row = session.get(BindingGuardRow, binding_id)
            if row is None:
                row = BindingGuardRow(binding_id=binding_id, owner_id=self._owner, allowed_symbols=[])
                session.add(row)
            row.allowed_symbols, row.max_order_value, row.updated_at = list(symbols), value, utcnow()
            self._log(
                session,
                "binding.guards",
                credential_id=binding.credential_id,
                details={
                    "binding": binding_id,
                    "allowed_symbols": list(symbols),
                    "max_order_value": str(value) if value is not None else None,
                },
            )
        return BindingGuards(symbols, value)

    def pause(self, binding_id: str, *, verdict: str, fix: str, version: int) -> BindingPause:
        """Open the binding's circuit (idempotent: the first refusal's reason stays)."""
        with self._store.write() as session:
            binding = self._binding(session, binding_id)
            row = session.get(BindingPauseRow, binding_id)
            if row is None:
                row = BindingPauseRow(
                    binding_id=binding_id,
                    owner_id=self._owner,
                    verdict=verdict,
                    fix=fix,
                    version=version,
                    paused_at=utcnow(),
                )
                session.add(row)
                self._log(
                    session,
                    "binding.pause",
                    verdict,
                    credential_id=binding.credential_id,
                    details={"binding": binding_id, "version": version},
                )
            pause = _pause(row)
        assert pause is not None
        return pause

    def resume(self, binding_id: str, *, verdict: str) -> bool:
        """Close the circuit after a successful check with ``verdict``; True if it was open."""
        with self._store.write() as session:
            binding = self._binding(session, binding_id)
            row = session.get(BindingPauseRow, binding_id)
            if row is None:
                return False
            session.delete(row)
            self._log(
                session, "binding.resume", verdict, credential_id=binding.credential_id, details={"binding": binding_id}
            )
            return True

    def pause_of(self, binding_id: str) -> BindingPause | None:
        with self._store.read() as session:
            self._binding(session, binding_id)
            return _pause(session.get(BindingPauseRow, binding_id))

    def mark_sent(self, binding_id: str, client_order_id: str) -> bool:
        """Journal that an order with ``client_order_id`` is about to be sent on the binding.

        True the first time (it was never sent: no look-up needed), False if it was journaled
        before (it may exist on the exchange). Raises if the journal cannot be written, so the
        caller sends nothing (fail closed).
        """
        try:
            with self._store.write() as session:
                inserted = session.execute(
                    _MARK_SENT,
                    {
                        "binding_id": binding_id,
                        "client_order_id": client_order_id,
                        "owner_id": self._owner,
                        "sent_at": utcnow(),
                    },
                ).first()
            if inserted is None:
                raise NotFound("binding not found")
        except IntegrityError:
            with self._store.read() as session:
                if session.get(SentOrderRow, (binding_id, client_order_id)) is None:
                    raise  # not a duplicate: the binding is gone or another constraint failed
            return False
        return True

    def _binding(self, session: Session, binding_id: str) -> BindingRow:
        return self._owned(session, BindingRow, binding_id, "binding")


def _guards(row: BindingGuardRow | None) -> BindingGuards:
    if row is None:
        return BindingGuards()
    return BindingGuards(tuple(str(s) for s in row.allowed_symbols), row.max_order_value)


def _pause(row: BindingPauseRow | None) -> BindingPause | None:
    if row is None:
        return None
    return BindingPause(row.verdict, row.fix, row.version, row.paused_at)
