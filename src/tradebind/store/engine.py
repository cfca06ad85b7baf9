"""The database connection of the store: engine, transactions, migrations applied on open.

SQLite (the default, one file in the data directory) gets foreign keys on, WAL, ``secure_delete``
(deleted rows are overwritten, so a shredded data key does not linger in free pages) and writes
that take the write lock up front (``BEGIN IMMEDIATE``) so two writers never deadlock on lock
upgrade. PostgreSQL is used as is; a schema can be chosen in the URL
(``?options=-csearch_path%3Dname``).

SQLite has one writer at a time, and a writer that finds the lock taken polls for it: its busy
handler sleeps 1, 2, 5, ... up to 100 ms between tries, so under many concurrent writers a short
transaction waits tens of milliseconds, and not in arrival order. Writers of one process therefore
queue on a lock of the process first (:meth:`Store.write_turn`) and are woken the moment the
previous one commits; the busy handler is left to arbitrate between processes only.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from .errors import StoreBusy

__all__ = ["Store", "migration_config"]

_WRITE = "tradebind_write"
WRITE_WAIT_S = 30.0  # as long as SQLite's busy timeout (busy_timeout=30000 below)
# Any constant shared by every tradebind process: serialises concurrent migrations on PostgreSQL.
_MIGRATION_LOCK = 0x7472_6164_6562
# Every SQLite connection's settings (journal_mode=WAL is the file's own, kept for a new file).
_SQLITE_PRAGMAS = ("foreign_keys=ON", "journal_mode=WAL", "secure_delete=ON", "busy_timeout=30000")


def migration_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


class Store:
    """One database: engine plus read and write transactions. Migrates to the latest on open.

    ``read()`` and ``write()`` yield a session inside a transaction that commits on success and
    rolls back on error. Repositories open their own transactions; callers never see sessions.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(engine.execution_options(**{_WRITE: True}), expire_on_commit=False)
        # Re-entrant: a thread that already writes is not made to wait for itself (a second
        # connection of the same thread then meets SQLite's own lock, as it would without this).
        self._write_turn = threading.RLock() if engine.dialect.name == "sqlite" else None

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, **engine_kwargs: Any) -> Store:
        """Connect to ``url`` (creating the SQLite file's directory, mode 0700) and migrate."""
        parsed = make_url(url)
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        engine = create_engine(parsed, **engine_kwargs)
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        store = cls(engine)
        with _first_open(path):
            if path is not None:
                engine.connect().close()  # the file exists and is in WAL mode from here on
            if migrate:
                store.migrate()
        if path is not None:
            os.chmod(path, 0o600)
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Apply every migration not yet applied (idempotent; safe from several processes at once)."""
        with self.write_turn(), self.engine.execution_options(**{_WRITE: True}).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            command.upgrade(migration_config(conn), "head")

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader.begin() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.write_turn(), self._writer.begin() as session:
            yield session

    def write_turn(self) -> AbstractContextManager[object]:
        """This process's turn to write, held around a whole write transaction (SQLite only;
        PostgreSQL locks rows, so there it is a no-op). Raises :class:`StoreBusy` after
        ``WRITE_WAIT_S``. Every write of the store takes it; a writer on a connection of its own
        (:meth:`dedicated_writer`, :meth:`sqlite_file_connection`) takes it around each of its
        transactions."""
        if self._write_turn is None:
            return nullcontext()
        return _turn(self._write_turn)

    @property
    def sqlite_file(self) -> Path | None:
        """The store's SQLite file (what :meth:`sqlite_file_connection` needs); None for
        PostgreSQL or SQLite in memory."""
        return _sqlite_file(self.engine.url)

    def dedicated_writer(self) -> Connection:
        """A connection for one long-lived writer (e.g. the gateway's request records): its
        transactions are writes (``BEGIN IMMEDIATE`` on SQLite). Per-connection settings the
        writer changes must not reach other users, so end it with ``invalidate()`` (closes the
        DBAPI connection instead of returning it to the pool). Hold :meth:`write_turn` around
        each of its transactions."""
        return self.engine.connect().execution_options(**{_WRITE: True})

    def sqlite_file_connection(self) -> sqlite3.Connection | None:
        """A plain sqlite3 connection of its own to the store's SQLite file, set up as the
        engine's are (autocommit: the caller issues ``BEGIN``), for hot paths that cannot afford
        SQLAlchemy's per-statement work; None unless the store is a SQLite file. The caller
        closes it, uses it from one thread at a time, and holds :meth:`write_turn` around writes.
        """
        path = self.sqlite_file
        if path is None:
            return None
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        _apply_pragmas(conn)
        return conn

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_file(url: URL) -> Path | None:
    """The SQLite file ``url`` names; None for another database or SQLite in memory."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser()


@contextmanager
def _first_open(path: Path | None) -> Iterator[None]:
    """Held while a process opens the SQLite file at ``path`` for the first time: the first
    connection turns a new file to WAL, and SQLite answers "database is locked" at once, without
    waiting, to a second process converting the same new file. An exclusive ``flock`` on the
    file's directory makes processes started together (the demo's web cabinet and worker) take
    turns; it is released when the block ends or the process dies. No-op without a file."""
    if path is None:
        yield
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


@contextmanager
def _turn(lock: threading.RLock) -> Iterator[None]:
    if not lock.acquire(timeout=WRITE_WAIT_S):
        raise StoreBusy("the database is busy with other writes; try again")
    try:
        yield
    finally:
        lock.release()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so BEGIN can be IMMEDIATE for writes.
        dbapi_conn.isolation_level = None
        _apply_pragmas(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _apply_pragmas(conn: sqlite3.Connection) -> None:
    cur = conn.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cur.execute(f"PRAGMA {pragma}")
    cur.close()
