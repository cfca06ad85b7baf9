"""One long-lived writer of activity entries: a connection of its own, a transaction per batch.

For writers on a hot path, such as the gateway's request records, where every exchange request
waits for its entry to commit. The entries, their chain and their hashes are exactly those of
:func:`.activity.append_many` (``audit verify`` checks them the same way); only the way the
statements reach the database differs.

On a SQLite file the writer uses a plain sqlite3 connection and runs ``append_many``'s own
statements, compiled once for SQLite, with SQLAlchemy's bind conversions for the columns: about
0.1 ms of CPU per transaction instead of about 0.3 ms through SQLAlchemy's Core execution (four
statements, events, result set-up). That matters twice: each request waits for its batch, and
the writer thread's Python runs under the same interpreter lock as the event loop. Elsewhere
(PostgreSQL, whose round trips dominate) it is :meth:`Store.dedicated_writer` and
``append_many``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from . import activity
from .engine import Store
from .errors import StoreBusy
from .tables import ActivityHeadRow, ActivityRow

__all__ = ["ActivityWriter"]


class ActivityWriter:
    """Appends batches of entries, one transaction per :meth:`append`, under the store's write turn.

    ``fsync_each_commit=False`` (SQLite only) commits with ``synchronous=NORMAL`` under WAL: a
    committed batch survives a crash of the process, not necessarily a power loss (see
    :class:`tradebind.gateway.records.ActivityRequestSink`).

    ``wait=False`` (a SQLite file only: :attr:`Store.is_sqlite_file`) is for an event loop, which
    must never wait for a lock: :meth:`append` then writes only if the write lock is free at once
    (this process's write turn and SQLite's own), else returns False having written nothing. Its
    connection never checkpoints the WAL either (a checkpoint fsyncs): :meth:`checkpoint` on a
    waiting writer, or any other connection's commits, do that.

    Use from one thread. A failed append rolls back and drops the connection; the next append
    opens a new one. :meth:`close` ends it.
    """

    def __init__(self, store: Store, *, fsync_each_commit: bool = True, wait: bool = True) -> None:
        if not wait and not store.is_sqlite_file:
            raise ValueError("wait: only a writer to a SQLite file can skip waiting for the write lock")
        self._store = store
        self._fsync = fsync_each_commit
        self._wait = wait
        self._sqlite: _SqliteAppend | None = None
        self._conn: Connection | None = None

    def append(self, chains: Mapping[str, Sequence[activity.NewEntry]]) -> bool:
        """Append each chain's entries in order, all in one transaction; True once committed.

        False (nothing written) only for a writer with ``wait=False`` that found the write lock
        taken. Raises on any other failure."""
        try:
            with self._store.write_turn(wait=self._wait):
                sqlite = self._sqlite_append()
                if sqlite is not None:
                    sqlite.append(chains)
                    return True
                conn = self._connection()
                with conn.begin():
                    for chain, entries in chains.items():
                        activity.append_many(conn, chain, entries)
                return True
        except Exception as exc:
            if not self._wait and _busy(exc):
                return False  # the lock was taken before anything began: nothing to undo
            self.close()  # a connection that failed is not trusted again
            raise

    def checkpoint(self) -> None:
        """Copy the WAL back into the database file (SQLite's PASSIVE checkpoint), holding this
        process's write turn so the next write finds the WAL fully copied and starts it over;
        a checkpoint that ran while writes went on would leave new frames behind it every time,
        and the WAL would grow without end. Writers of other processes are not held back; the
        checkpoint then copies what it can. Nothing elsewhere (PostgreSQL)."""
        with self._store.write_turn():
            sqlite = self._sqlite_append()
            if sqlite is not None:
                sqlite.checkpoint()

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
            if not self._wait:
                raw.execute("PRAGMA busy_timeout=0")
                raw.execute("PRAGMA wal_autocheckpoint=0")
            self._sqlite = _SqliteAppend(raw, self._store)
        return self._sqlite

    def _connection(self) -> Connection:
        if self._conn is None:  # PostgreSQL, or SQLite in memory (where there is nothing to fsync)
            self._conn = self._store.dedicated_writer()
        return self._conn


def _busy(exc: Exception) -> bool:
    """Whether ``exc`` says another writer holds the lock: this process's write turn, or SQLite's
    (any busy code: the primary code is the low byte, so SQLITE_BUSY_RECOVERY counts too)."""
    if isinstance(exc, StoreBusy):
        return True
    return isinstance(exc, sqlite3.OperationalError) and exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY


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

    def append(self, chains: Mapping[str, Sequence[activity.NewEntry]]) -> None:
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
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def checkpoint(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        self._conn.close()
