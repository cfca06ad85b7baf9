"""The commit watch: every commit to a SQLite file in WAL mode, by any connection of any process,
moves its token; nothing else does; and it refuses what it cannot vouch for."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tradebind.store.commit_watch import CommitWatch


@pytest.fixture
def wal(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    db = tmp_path / "watched.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (n INTEGER)")
    yield db, conn
    conn.close()


class Watched(NamedTuple):
    watch: CommitWatch
    conn: sqlite3.Connection  # the connection the watch was opened with
    other: sqlite3.Connection  # another connection to the same file


@pytest.fixture
def watched(wal: tuple[Path, sqlite3.Connection]) -> Iterator[Watched]:
    db, conn = wal
    watch = CommitWatch.open(db, conn)
    assert watch is not None
    other = sqlite3.connect(db, isolation_level=None)
    yield Watched(watch, conn, other)
    other.close()
    watch.close()


def test_a_commit_of_another_connection_moves_the_token_and_reads_do_not(watched: Watched) -> None:
    watch, conn, other = watched
    before = watch.token()
    other.execute("SELECT count(*) FROM t").fetchall()
    conn.execute("BEGIN")
    conn.execute("SELECT * FROM t").fetchall()
    conn.execute("COMMIT")  # a read transaction commits nothing
    assert watch.token() == before
    other.execute("INSERT INTO t VALUES (1)")
    assert watch.token() != before


def test_every_one_of_many_commits_moves_the_token_whoever_makes_it(watched: Watched) -> None:
    # Checkpoints restart the write-ahead log in between (new salts, frames from the start): a
    # commit after a restart must move the token too, even where mxFrame comes back to a value
    # it had before.
    watch, conn, other = watched
    seen = watch.token()
    for n in range(600):
        (conn if n % 2 else other).execute("INSERT INTO t VALUES (?)", (n,))
        if n % 50 == 49:
            other.execute("PRAGMA wal_checkpoint(RESTART)")
        now = watch.token()
        assert now != seen, f"commit {n} was not seen"
        seen = now


def test_a_commit_of_another_process_moves_the_token(watched: Watched, wal: tuple[Path, sqlite3.Connection]) -> None:
    before = watched.watch.token()
    script = "import sqlite3, sys; sqlite3.connect(sys.argv[1], isolation_level=None).execute(sys.argv[2])"
    subprocess.run([sys.executable, "-c", script, str(wal[0]), "INSERT INTO t VALUES (7)"], check=True, timeout=60)
    assert watched.watch.token() != before
    assert watched.conn.execute("SELECT n FROM t").fetchall() == [(7,)]


def test_a_database_in_rollback_journal_mode_is_not_watched(tmp_path: Path) -> None:
    db = tmp_path / "plain.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("CREATE TABLE t (n INTEGER)")
        assert CommitWatch.open(db, conn) is None
    finally:
        conn.close()


def test_a_header_that_does_not_describe_the_database_is_refused(
    wal: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    db, conn = wal
    watch = CommitWatch.open(db, conn)  # positive control: the database's own header is taken
    assert watch is not None
    watch.close()
    # A database of another page size: the header of ``db`` (4096-byte pages) does not describe it.
    other_db = tmp_path / "other.sqlite3"
    other = sqlite3.connect(other_db, isolation_level=None)
    try:
        other.execute("PRAGMA page_size=8192")
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("CREATE TABLE t (n INTEGER)")
        assert CommitWatch.open(db, other) is None
    finally:
        other.close()
