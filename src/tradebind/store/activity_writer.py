"""One long-lived writer of activity entries: a connection of its own, a transaction per batch.

For writers on a hot path, such as the gateway's request records (copied from their journal as
they come, or, where the gateway keeps no journal, waited for by every exchange request). The
entries, their chain and their hashes are exactly those of :func:`.activity.append_many` (``audit
verify`` checks them the same way); only the way the statements reach the database differs.

On a SQLite file the writer uses a plain sqlite3 connection and runs ``append_many``'s own
statements, compiled once for SQLite, with SQLAlchemy's bind conversions for the columns: about
0.1 ms of CPU per transaction instead of about 0.3 ms through SQLAlchemy's Core execution (four
statements, events, result set-up). That matters because the writer thread's Python runs under
the same interpreter lock as the event loop. Elsewhere (PostgreSQL, whose round trips dominate)
it is :meth:`Store.dedicated_writer` and ``append_many``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from . import activity
from .engine import Store
from .gateway_tables import RequestJournalRow, SentOrderRow
from .sent_orders import COPY_SENT, SentEntry
from .tables import ActivityHeadRow, ActivityRow

__all__ = ["ActivityWriter", "JournalMark"]


class ActivityWriter:
    """Appends batches of entries, one transaction per :meth:`append`, under the store's write turn.

    ``fsync_each_commit=False`` (SQLite only) commits with ``synchronous=NORMAL`` under WAL: a
    committed batch survives a crash of the process, not necessarily a power loss (see
    :class:`tradebind.gateway.records.ActivityRequestSink`).

    A batch copied from a request journal (:mod:`tradebind.gateway.request_journal`) carries its
    *mark*: the journal's name and how many of its bytes the batch brings the copy to. The mark
    is stored in the batch's own transaction (``request_journals``), so the entries and the mark
    commit together or not at all.

    Use from one thread. A failed append rolls back and drops the connection; the next append
    opens a new one. :meth:`close` ends it.
    """

    def __init__(self, store: Store, *, fsync_each_commit: bool = True) -> None:
        self._store = store
        self._fsync = fsync_each_commit
        self._sqlite: _SqliteAppend | None = None
        self._conn: Connection | None = None

    def append(
        self,
        chains: Mapping[str, Sequence[activity.NewEntry]],
        *,
        marks: Sequence[JournalMark] = (),
        sent: Sequence[SentEntry] = (),
    ) -> None:
        """Append each chain's entries in order, the ``sent`` order ids to the sent-order journal
        table, and store the journals' ``marks``, all in one transaction (order ids and marks come
        from a gateway's request journal, which only a SQLite file has). Raises on any failure
        (then nothing of it is written)."""
        try:
            with self._store.write_turn():
                sqlite = self._sqlite_append()
                if sqlite is not None:
                    sqlite.append(chains, marks, sent)
                    return
                if sent:
                    raise ValueError("sent order ids are copied from a journal, which only a SQLite file has")
                conn = self._connection()
                with conn.begin():
                    for chain, entries in chains.items():
                        activity.append_many(conn, chain, entries)
                    for mark in marks:
                        _store_mark(conn, mark)
        except Exception:
            self.close()  # a connection that failed is not trusted again
            raise

    def copied(self, journal: str) -> int:
        """How many bytes of ``journal`` are in the log (0 for a journal never copied)."""
        with self._store.read() as session:
            found = session.get(RequestJournalRow, journal)
            return found.copied if found is not None else 0

    def marked(self) -> list[str]:
        """The journals with a copy mark."""
        with self._store.read() as session:
            return list(session.scalars(select(RequestJournalRow.name)))

    def forget(self, *journals: str) -> None:
        """Drop the marks of ``journals`` (their files are gone: nothing will copy them again)."""
        with self._store.write() as session:
            session.execute(delete(RequestJournalRow).where(RequestJournalRow.name.in_(journals)))

    def close(self) -> None:
        if self._sqlite is not None:
            sqlite, self._sqlite = self._sqlite, None
            sqlite.close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.invalidate()  # closed, never handed back to the pool with its own settings
            conn.close()

    def _sqlite_append(self) -> _SqliteAppend | None:
        if self._sqlite is None:
            raw = self._store.sqlite_file_connection()
            if raw is None:  # PostgreSQL, or SQLite in memory (only the engine's connection sees it)
                return None
            if not self._fsync:
                raw.execute("PRAGMA synchronous=NORMAL")
            self._sqlite = _SqliteAppend(raw, self._store)
        return self._sqlite

    def _connection(self) -> Connection:
        if self._conn is None:  # PostgreSQL, or SQLite in memory (where there is nothing to fsync)
            self._conn = self._store.dedicated_writer()
        return self._conn


JournalMark = tuple[str, int]  # a request journal's name, and how many of its bytes are copied

_MARK_UPDATE = update(RequestJournalRow).where(RequestJournalRow.name == bindparam("n")).values(copied=bindparam("c"))
_MARK_INSERT = insert(RequestJournalRow).values(name=bindparam("n"), copied=bindparam("c"))


def _store_mark(conn: Connection, mark: JournalMark) -> None:
    values = {"n": mark[0], "c": mark[1]}
    if conn.execute(_MARK_UPDATE, values).rowcount == 0:
        conn.execute(_MARK_INSERT, values)


class _Statement:
    """A statement compiled once for SQLite: its SQL, and its positional parameters from named
    values (with the statement's own constants and the columns' bind conversions)."""

    def __init__(self, statement: ClauseElement, table: Table, store: Store, **compile_kwargs: Any) -> None:
        dialect = store.engine.dialect
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect, **compile_kwargs))
        self.sql = str(compiled)
        self._names = tuple(compiled.positiontup or ())
        self._constants = compiled.params
        columns = table.c
        self._convert: dict[str, Callable[[Any], Any]] = {}
        for name in self._names:
            if name in columns:
                processor = columns[name].type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    self._convert[name] = processor

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        out = []
        for name in self._names:
            value = values[name] if name in values else self._constants[name]
            convert = self._convert.get(name)
            out.append(convert(value) if convert is not None else value)
        return out


class _SqliteAppend:
    """``append_many`` on a plain sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection, store: Store) -> None:
        self._conn = conn
        rows, heads = cast(Table, ActivityRow.__table__), cast(Table, ActivityHeadRow.__table__)
        self._head_insert = _Statement(activity.HEAD_INSERT["sqlite"], heads, store)
        self._head = _Statement(activity.HEAD_FOR_UPDATE, heads, store)
        # Every column but the autoincrement id: what chain_rows gives.
        keys = [c.key for c in rows.c if not c.primary_key]
        self._rows = _Statement(activity.ROWS_INSERT, rows, store, column_keys=keys)
        self._head_update = _Statement(activity.HEAD_UPDATE, heads, store)
        marks = cast(Table, RequestJournalRow.__table__)
        self._mark_update = _Statement(_MARK_UPDATE, marks, store)
        self._mark_insert = _Statement(_MARK_INSERT, marks, store)
        self._sent = _Statement(COPY_SENT, cast(Table, SentOrderRow.__table__), store)

    def append(
        self,
        chains: Mapping[str, Sequence[activity.NewEntry]],
        marks: Sequence[JournalMark],
        sent: Sequence[SentEntry],
    ) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")  # a write: take the lock up front, as the store's writers do
        try:
            for chain, entries in chains.items():
                if not entries:
                    continue
                conn.execute(self._head_insert.sql, self._head_insert.args({"chain": chain}))
                seq, prev = conn.execute(self._head.sql, self._head.args({"c": chain})).fetchone()
                rows = activity.chain_rows(chain, seq, prev, entries)
                conn.executemany(self._rows.sql, [self._rows.args(row) for row in rows])
                head = {"c": chain, "s": rows[-1]["seq"], "h": rows[-1]["hash"]}
                conn.execute(self._head_update.sql, self._head_update.args(head))
            if sent:
                conn.executemany(self._sent.sql, [self._sent.args(entry._asdict()) for entry in sent])
            for name, copied in marks:
                values = {"n": name, "c": copied}
                if conn.execute(self._mark_update.sql, self._mark_update.args(values)).rowcount == 0:
                    conn.execute(self._mark_insert.sql, self._mark_insert.args(values))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._conn.close()
