"""The activity log: append-only entries, each chained to the previous one of its chain by hash.

Chains are **per owner** (plus one ``system`` chain for operator actions such as KEK rotation):

- appends of different owners never wait on one global head row, so many gateway and web
  processes can write at once (an append locks only its owner's head row);
- one owner's history can be exported and verified on its own, without other owners' entries;
- a tampered entry still breaks its chain from that point on, and a cut-off tail is caught by the
  head row (``activity_heads``), which records every chain's last sequence number and hash.

The hash is SHA-256 over the previous hash and a canonical JSON encoding of the entry's fields
(sorted keys, timestamps as ISO-8601 UTC with microseconds), so it does not depend on the backend.
An attacker who can rewrite the whole database can recompute a chain: the log is tamper-evident
against edits of single rows, not a signature.

Entries name credentials by id and keys by masked id only; never secret material.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from tradebind.store.engine import Store
from tradebind.store.tables import ActivityHeadRow, ActivityRow, utcnow

__all__ = [
    "GENESIS",
    "SYSTEM_CHAIN",
    "ActivityEntry",
    "ActivityRepository",
    "ChainBreak",
    "NewEntry",
    "append",
    "append_many",
    "chain_rows",
    "entry_hash",
    "verify",
]

GENESIS = "0" * 64
SYSTEM_CHAIN = "system"


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    """One log entry as read back: who did what, to which credential, why, and how it ended."""

    id: int
    chain: str
    seq: int
    at: datetime
    actor: str
    action: str
    credential_id: str | None
    purpose: str
    result: str
    details: dict[str, Any] = field(hash=False)
    prev_hash: str
    hash: str


# json.dumps with these arguments, built once: dumps builds an encoder per call, and this runs
# twice for every entry (its details, then its hash).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _canonical(payload: Mapping[str, Any]) -> str:
    return _CANONICAL.encode(payload)


def entry_hash(
    prev_hash: str,
    *,
    chain: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    credential_id: str | None,
    purpose: str,
    result: str,
    details: str,
) -> str:
    """SHA-256 hex of ``prev_hash`` + the canonical entry (``details`` is its stored JSON text)."""
    body = _canonical(
        {
            "chain": chain,
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "credential_id": credential_id,
            "purpose": purpose,
            "result": result,
            "details": details,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _lock_head(session: Session, chain: str) -> ActivityHeadRow:
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ActivityHeadRow)
    session.execute(ins.values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing())
    head = session.scalars(select(ActivityHeadRow).where(ActivityHeadRow.chain == chain).with_for_update()).one()
    return head


def append(
    session: Session,
    chain: str,
    *,
    actor: str,
    action: str,
    result: str,
    credential_id: str | None = None,
    purpose: str = "",
    details: Mapping[str, Any] | None = None,
) -> ActivityEntry:
    """Append one entry to ``chain`` inside the caller's transaction (so it commits or rolls back
    with the action it records). ``details`` must be JSON of non-secret values."""
    head = _lock_head(session, chain)
    row = _next_row(head, NewEntry(actor, action, result, credential_id, purpose, details or {}))
    session.add(row)
    session.flush()
    return _entry(row)


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append: who did what, to which credential, why, how it ended (non-secret)."""

    actor: str
    action: str
    result: str
    credential_id: str | None = None
    purpose: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None  # when it happened, if earlier than its append (default: the append's time)


def append_many(session: Session | Connection, chain: str, entries: Sequence[NewEntry]) -> None:
    """Append ``entries`` to ``chain`` in order inside the caller's transaction: the same chain
    as that many :func:`append` calls, for one head lock, one multi-row insert and one head
    update (bulk writers such as the gateway's request records). Prepared Core statements, not
    ORM units of work: this runs once per exchange request."""
    if not entries:
        return
    conn = session.connection() if isinstance(session, Session) else session
    dialect = conn.dialect.name
    conn.execute(HEAD_INSERT["postgresql" if dialect == "postgresql" else "sqlite"], {"chain": chain})
    seq, prev = conn.execute(HEAD_FOR_UPDATE, {"c": chain}).one()
    rows = chain_rows(chain, seq, prev, entries)
    conn.execute(ROWS_INSERT, rows)
    conn.execute(HEAD_UPDATE, {"c": chain, "s": rows[-1]["seq"], "h": rows[-1]["hash"]})
    if isinstance(session, Session):
        cached = session.identity_map.get(identity_key(ActivityHeadRow, chain))
        if cached is not None:
            session.expire(cached)  # an ORM append later in this transaction re-reads the head


def chain_rows(chain: str, seq: int, prev_hash: str, entries: Sequence[NewEntry]) -> list[dict[str, Any]]:
    """The ``activity`` rows of ``entries`` following entry ``seq`` (hash ``prev_hash``) of
    ``chain``, each hashed onto the one before; the last one is the chain's new head."""
    rows = []
    for e in entries:
        seq += 1
        values = _values(chain, seq, prev_hash, e)
        prev_hash = values["hash"]
        rows.append(values)
    return rows


# The statements of append_many (also compiled once by .activity_writer for its SQLite path).
HEAD_INSERT = {
    name: ins(ActivityHeadRow).values(chain=bindparam("chain"), seq=0, hash=GENESIS).on_conflict_do_nothing()
    for name, ins in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
HEAD_FOR_UPDATE = (
    select(ActivityHeadRow.seq, ActivityHeadRow.hash).where(ActivityHeadRow.chain == bindparam("c")).with_for_update()
)
HEAD_UPDATE = (
    update(ActivityHeadRow)
    .where(ActivityHeadRow.chain == bindparam("c"))
    .values(seq=bindparam("s"), hash=bindparam("h"))
)
ROWS_INSERT = insert(ActivityRow)


def _values(chain: str, seq: int, prev_hash: str, e: NewEntry) -> dict[str, Any]:
    """The column values of entry ``seq`` of ``chain`` following ``prev_hash``."""
    at = e.at or utcnow()
    details_text = _canonical(dict(e.details))
    digest = entry_hash(
        prev_hash,
        chain=chain,
        seq=seq,
        at=at,
        actor=e.actor,
        action=e.action,
        credential_id=e.credential_id,
        purpose=e.purpose,
        result=e.result,
        details=details_text,
    )
    return {
        "chain": chain,
        "seq": seq,
        "at": at,
        "actor": e.actor,
        "action": e.action,
        "credential_id": e.credential_id,
        "purpose": e.purpose,
        "result": e.result,
        "details": details_text,
        "prev_hash": prev_hash,
        "hash": digest,
    }


def _next_row(head: ActivityHeadRow, e: NewEntry) -> ActivityRow:
    """The row following ``head`` (which moves to it)."""
    row = ActivityRow(**_values(head.chain, head.seq + 1, head.hash, e))
    head.seq, head.hash = row.seq, row.hash
    return row


def _entry(row: ActivityRow) -> ActivityEntry:
    return ActivityEntry(
        id=row.id,
        chain=row.chain,
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        credential_id=row.credential_id,
        purpose=row.purpose,
        result=row.result,
        details=json.loads(row.details),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry where a chain stops verifying, and why."""

    chain: str
    seq: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "chain head"
        return f"chain {self.chain}: {where} (seq {self.seq}): {self.reason}"


def _walk(rows: Iterator[ActivityRow], chain: str, head: ActivityHeadRow | None) -> ChainBreak | None:
    prev, expected = GENESIS, 1
    for row in rows:
        if row.seq != expected:
            return ChainBreak(chain, expected, row.id, f"sequence jumps to {row.seq}: entries are missing")
        if row.prev_hash != prev:
            return ChainBreak(chain, row.seq, row.id, "does not link to the previous entry")
        digest = entry_hash(
            prev,
            chain=row.chain,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            credential_id=row.credential_id,
            purpose=row.purpose,
            result=row.result,
            details=row.details,
        )
        if digest != row.hash:
            return ChainBreak(chain, row.seq, row.id, "content does not match its hash: the entry was altered")
        prev, expected = row.hash, expected + 1
    if head is None or head.seq != expected - 1 or head.hash != prev:
        return ChainBreak(chain, expected, None, "the chain ends before its recorded head: entries were removed")
    return None


def verify(store: Store) -> tuple[int, ChainBreak | None]:
    """Check every chain; return the number of entries checked and the first break, if any.

    Chains are checked in name order, entries in sequence order; reads stream in batches.
    """
    checked = 0
    with store.read() as session:
        if store.dialect == "postgresql":
            # One snapshot for heads and rows, so appends during the walk are not taken for tampering
            # (SQLite read transactions are snapshots already).
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        heads = {h.chain: h for h in session.scalars(select(ActivityHeadRow))}
        chains = sorted(set(heads) | set(session.scalars(select(ActivityRow.chain).distinct())))
        for chain in chains:
            rows = session.scalars(
                select(ActivityRow)
                .where(ActivityRow.chain == chain)
                .order_by(ActivityRow.seq)
                .execution_options(yield_per=1000)
            )
            counted = _Counter(rows)
            broken = _walk(counted, chain, heads.get(chain))
            checked += counted.count
            if broken is not None:
                return checked, broken
            session.expunge_all()
    return checked, None


class _Counter(Iterator[ActivityRow]):
    def __init__(self, rows: Any) -> None:
        self._rows = iter(rows)
        self.count = 0

    def __next__(self) -> ActivityRow:
        row: ActivityRow = next(self._rows)
        self.count += 1
        return row


class ActivityRepository:
    """Read one owner's activity log (appends happen inside the other repositories' actions)."""

    def __init__(self, store: Store, owner_id: str) -> None:
        self._store = store
        self._owner = owner_id

    def recent(self, *, limit: int = 100, before_seq: int | None = None) -> list[ActivityEntry]:
        """Newest first, at most ``limit`` entries, optionally only those before ``before_seq``."""
        query = select(ActivityRow).where(ActivityRow.chain == self._owner)
        if before_seq is not None:
            query = query.where(ActivityRow.seq < before_seq)
        with self._store.read() as session:
            rows = session.scalars(query.order_by(ActivityRow.seq.desc()).limit(max(0, min(limit, 1000))))
            return [_entry(r) for r in rows]

    def for_credential(self, credential_id: str, *, limit: int = 100) -> list[ActivityEntry]:
        """Entries of this owner about one credential, newest first."""
        query = (
            select(ActivityRow)
            .where(ActivityRow.chain == self._owner, ActivityRow.credential_id == credential_id)
            .order_by(ActivityRow.seq.desc())
            .limit(max(0, min(limit, 1000)))
        )
        with self._store.read() as session:
            return [_entry(r) for r in session.scalars(query)]
