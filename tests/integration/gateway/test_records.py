"""The request-record sink on SQLite and PostgreSQL: chain integrity and order, fail closed, the
writer's connection settings kept to itself; on a SQLite file, the request journal: records never
wait for the database, reach the log once it takes them, survive a killed process exactly once,
are never taken from a live gateway, are copied as soon as the next sink is made, leave no
mark behind whose journal is gone, fail closed when the journal cannot be written, and keep the
write-ahead log small."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tradebind.gateway import records
from tradebind.gateway.records import ActivityRequestSink, RecordFailed, RequestRecord
from tradebind.store import OwnerDirectory, Store
from tradebind.store.activity import ActivityRepository, verify
from tradebind.store.gateway_tables import RequestJournalRow


def _record(owner: str, n: int) -> RequestRecord:
    return RequestRecord(owner, "binding-1", f"bot-{n}", "credential-1", 1, "okx query BTC/USDT", "ok", n)


async def test_concurrent_records_are_all_written_in_order_on_an_intact_chain(store: Store) -> None:
    alice, bob = (OwnerDirectory(store).create(name).id for name in ("alice", "bob"))
    sink = ActivityRequestSink(store)
    try:
        await sink.record(_record(alice, 0))  # one alone, then 300 at once for two owners
        await asyncio.gather(*(sink.record(_record(alice if n % 2 else bob, n)) for n in range(1, 301)))
    finally:
        await sink.close()
    checked, broken = verify(store)
    assert broken is None
    assert checked >= 301
    for owner, parity in ((alice, 1), (bob, 0)):
        entries = [e for e in ActivityRepository(store, owner).recent(limit=500) if e.action == "exchange.request"]
        expected = [0, *range(1, 301, 2)] if parity else list(range(2, 301, 2))
        assert [e.details["latency_ms"] for e in reversed(entries)] == expected  # order kept per owner
        assert {e.actor for e in entries} == {f"bot:bot-{n}" for n in expected}


async def test_a_batch_that_cannot_be_committed_fails_every_request_in_it(store: Store) -> None:
    alice = OwnerDirectory(store).create("alice").id
    sink = ActivityRequestSink(store, power_safe=True)  # no journal: each request waits for its commit
    try:
        await sink.record(_record(alice, 0))
        with store.write() as session:
            session.execute(text("DROP TABLE activity_heads"))
        results = await asyncio.gather(*(sink.record(_record(alice, n)) for n in range(20)), return_exceptions=True)
    finally:
        await sink.close()
    assert all(isinstance(r, RecordFailed) for r in results)


async def test_without_the_journal_a_record_is_durable_once_what_it_hands_back_is_done(store: Store) -> None:
    alice = OwnerDirectory(store).create("alice").id
    sink = ActivityRequestSink(store, power_safe=True)  # each record waits for its commit
    try:
        waiting = [sink.record_now(_record(alice, n)) for n in range(3)]
        for w in waiting:
            assert w is not None  # a future to wait on, not "durable already"
            await w
        assert _logged(store, alice) == [0, 1, 2]  # in the log: no flush asked for
    finally:
        await sink.close()


async def test_the_writers_connection_keeps_its_durability_setting_to_itself(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'gateway.sqlite3'}", pool_size=1, max_overflow=0)
    try:
        alice = OwnerDirectory(store).create("alice").id
        sink = ActivityRequestSink(store)
        await sink.record(_record(alice, 0))
        await sink.close()
        # The writer's connection was the pool's only one; after the sink, the pool's connection
        # fsyncs its commits again: FULL is 2 (sqlite.org/pragma.html#pragma_synchronous).
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert next(e.action for e in ActivityRepository(store, alice).recent()) == "exchange.request"
    finally:
        store.close()


def _logged(store: Store, owner: str) -> list[int]:
    """The owner's request records in the log, oldest first, by their latency (the test's number)."""
    entries = ActivityRepository(store, owner).recent(limit=1000)
    return [e.details["latency_ms"] for e in reversed(entries) if e.action == "exchange.request"]


async def test_records_never_wait_for_the_database_and_reach_the_log_in_order_once_it_takes_them(
    sqlite_store: Store, tmp_path: Path
) -> None:
    alice = OwnerDirectory(sqlite_store).create("alice").id
    sink = ActivityRequestSink(sqlite_store)
    other = sqlite3.connect(tmp_path / "gateway.sqlite3", isolation_level=None)
    try:
        await sink.record(_record(alice, 0))
        await sink.flush()
        assert _logged(sqlite_store, alice) == [0]
        other.execute("BEGIN IMMEDIATE")  # e.g. the cabinet in another process, mid-write
        # Each is durable in the journal once taken: nothing to wait for, so no wait for the lock.
        for n in range(1, 3):
            assert sink.record_now(_record(alice, n)) is None
        await asyncio.wait_for(sink.record(_record(alice, 3)), timeout=5)
        other.execute("COMMIT")
        # A database that refuses the copy (a table renamed away): still accepted, kept, and
        # copied once the database takes them again.
        other.execute("ALTER TABLE activity_heads RENAME TO activity_heads_away")
        await sink.record(_record(alice, 4))
        with pytest.raises(RecordFailed):
            await sink.flush()
        other.execute("ALTER TABLE activity_heads_away RENAME TO activity_heads")
        await sink.record(_record(alice, 5))
        await sink.flush()
        assert _logged(sqlite_store, alice) == [0, 1, 2, 3, 4, 5]
    finally:
        other.close()
        await sink.close()
    assert verify(sqlite_store) == (7, None)
    assert list((tmp_path / "gateway.sqlite3-requests").iterdir()) == []  # copied, so removed


@contextlib.contextmanager
def _gateway_process(script: str, db: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], sqlite3.Connection]]:
    """A sink in a process of its own running ``script`` on ``db``, and the test's own connection
    to that file (to hold its write lock); the process is killed at the end if it still runs."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, f"sqlite:///{db}", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    other = sqlite3.connect(db, isolation_level=None)
    try:
        yield child, other
    finally:
        other.close()
        if child.poll() is None:
            child.kill()
            child.wait()


def _said(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    return child.stdout.readline().strip()


def _go(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.write("go\n")
    child.stdin.flush()


_CHILD = """
import asyncio, sys
from tradebind.gateway.records import ActivityRequestSink, RecordFailed, RequestRecord
from tradebind.store import Store

async def main(url, owner):
    store = Store.open(url)
    sink = ActivityRequestSink(store)
    record = lambda n: RequestRecord(owner, "binding-1", f"bot-{n}", "credential-1", 1, "okx query", "ok", n)
    for n in range(5):
        await sink.record(record(n))
    await sink.flush()
    print("copied", flush=True)
    sys.stdin.readline()  # the parent holds the database's write lock now
    for n in range(5, 10):
        await sink.record(record(n))
    print("recorded", flush=True)
    sys.stdin.readline()  # killed before this returns

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_records_of_a_killed_gateway_reach_the_log_exactly_once(sqlite_store: Store, tmp_path: Path) -> None:
    alice = OwnerDirectory(sqlite_store).create("alice").id
    db = tmp_path / "gateway.sqlite3"
    with _gateway_process(_CHILD, db, alice) as (child, other):
        assert _said(child) == "copied"
        other.execute("BEGIN IMMEDIATE")  # its copies cannot commit: records 5-9 stay in its journal
        _go(child)
        assert _said(child) == "recorded"
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert _logged(sqlite_store, alice) == [0, 1, 2, 3, 4]
    (journal,) = (tmp_path / "gateway.sqlite3-requests").iterdir()
    with journal.open("r+b") as f:  # a torn last line where the lines end, as a crash mid-store leaves
        f.seek(f.read().index(b"\0"))  # the lines are followed by the journal's reserved, zeroed rest
        f.write(b'{"at":17640000')
    # The next gateway copies what the killed one had not, from its mark, as soon as it is made
    # (a worker restarted with no bot running yet still shows them), before its own records.
    sink = ActivityRequestSink(sqlite_store)
    try:
        await sink.flush()
        assert _logged(sqlite_store, alice) == list(range(10))
        assert list((tmp_path / "gateway.sqlite3-requests").iterdir()) == []
        await sink.record(_record(alice, 10))
    finally:
        await sink.close()
    again = ActivityRequestSink(sqlite_store)  # and nobody copies it twice
    try:
        await again.record(_record(alice, 11))
    finally:
        await again.close()
    assert _logged(sqlite_store, alice) == list(range(12))
    assert verify(sqlite_store) == (13, None)
    assert list((tmp_path / "gateway.sqlite3-requests").iterdir()) == []


async def test_the_journal_of_a_live_gateway_is_never_taken_by_another(sqlite_store: Store, tmp_path: Path) -> None:
    alice = OwnerDirectory(sqlite_store).create("alice").id
    first = ActivityRequestSink(sqlite_store)
    for n in range(3):
        await first.record(_record(alice, n))
    second = ActivityRequestSink(sqlite_store)  # a second worker on the same database
    await second.record(_record(alice, 3))
    await second.close()
    assert len(list((tmp_path / "gateway.sqlite3-requests").iterdir())) == 1  # the first's, still its own
    await first.record(_record(alice, 4))
    await first.close()
    assert sorted(_logged(sqlite_store, alice)) == [0, 1, 2, 3, 4]
    assert verify(sqlite_store) == (6, None)


async def test_a_mark_whose_journal_is_gone_is_dropped_and_live_journals_keep_theirs(
    sqlite_store: Store, tmp_path: Path
) -> None:
    alice = OwnerDirectory(sqlite_store).create("alice").id
    live = ActivityRequestSink(sqlite_store)
    await live.record(_record(alice, 0))
    await live.flush()  # its mark is stored
    with sqlite_store.write() as session:  # as a crash between removing a journal and its mark leaves
        session.add(RequestJournalRow(name="f" * 32, copied=120))
    second = ActivityRequestSink(sqlite_store)
    try:
        await second.record(_record(alice, 1))
        await second.flush()
        with sqlite_store.read() as session:
            marks = set(session.scalars(select(RequestJournalRow.name)))
        journals = {p.name.removesuffix(".jsonl") for p in (tmp_path / "gateway.sqlite3-requests").iterdir()}
        assert len(journals) == 2
        assert marks == journals  # the gone one's mark dropped, both live ones kept
    finally:
        await second.close()
        await live.close()
    assert _logged(sqlite_store, alice) == [0, 1]


_FULL_DISK_CHILD = """
import asyncio, json, os, pathlib, resource, signal, sys
from tradebind.gateway.records import ActivityRequestSink, RecordFailed, RequestRecord
from tradebind.store import Store

async def main(url, owner, journal_dir):
    store = Store.open(url)
    sink = ActivityRequestSink(store)
    # Records of 16 KiB, so a few dozen fill the journal's first reserved megabyte.
    record = lambda n: RequestRecord(owner, "binding-1", f"bot-{n}", "credential-1", 1, "x" * 16384, "ok", n)
    await sink.record(record(0))
    print("ready", flush=True)
    sys.stdin.readline()  # the parent holds the database's write lock now: nothing is copied
    (journal,) = pathlib.Path(journal_dir).iterdir()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # growing past the limit then fails with EFBIG
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (journal.stat().st_size, hard))  # no room to grow
    taken = [0]
    for n in range(1, 1000):  # until one needs more room than the journal has reserved
        try:
            await sink.record(record(n))
        except RecordFailed:
            break
        taken.append(n)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    await sink.record(record(1000))
    taken.append(1000)
    print(json.dumps({"failed": n, "taken": taken}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # the journal is all that is left of the records taken

asyncio.run(main(*sys.argv[1:]))
"""


async def test_a_record_the_journal_cannot_take_fails_and_leaves_no_torn_line(
    sqlite_store: Store, tmp_path: Path
) -> None:
    alice = OwnerDirectory(sqlite_store).create("alice").id
    db = tmp_path / "gateway.sqlite3"
    journals = tmp_path / "gateway.sqlite3-requests"
    with _gateway_process(_FULL_DISK_CHILD, db, alice, str(journals)) as (child, other):
        assert _said(child) == "ready"
        other.execute("BEGIN IMMEDIATE")
        _go(child)
        said = json.loads(_said(child))
        assert child.wait(timeout=30) == -signal.SIGKILL
    failed, taken = said["failed"], said["taken"]
    assert 1 < failed < 1000  # some fit the reserved space, then one did not: its request would fail
    assert taken == [*range(failed), 1000]
    sink = ActivityRequestSink(sqlite_store)  # copies the killed gateway's journal first
    try:
        await sink.record(_record(alice, 1001))
    finally:
        await sink.close()
    # Nothing of the refused record is in the journal, so the record after it is whole and copied.
    assert _logged(sqlite_store, alice) == [*taken, 1001]
    assert verify(sqlite_store) == (len(taken) + 2, None)


async def test_the_log_stays_small_while_records_are_written_one_by_one(sqlite_store: Store, tmp_path: Path) -> None:
    alice = OwnerDirectory(sqlite_store).create("alice").id
    sink = ActivityRequestSink(sqlite_store)
    try:
        for n in range(3000):  # a lone bot looping on look-ups
            await sink.record(_record(alice, n))
    finally:
        await sink.close()
    # Each commit adds about 14 kB to the write-ahead log; checkpointed as it goes, the log is
    # started over and stays near SQLite's own 4 MB mark instead of growing to ~40 MB.
    assert (tmp_path / "gateway.sqlite3-wal").stat().st_size < 12_000_000
    assert verify(sqlite_store) == (3001, None)  # the owner's creation and every record, chained


async def test_a_full_journal_is_replaced_and_removed_once_copied(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "ROTATE_BYTES", 2000)  # a handful of records a journal
    alice = OwnerDirectory(sqlite_store).create("alice").id
    directory = tmp_path / "gateway.sqlite3-requests"
    sink = ActivityRequestSink(sqlite_store)
    names: set[str] = set()
    try:
        for n in range(40):
            await sink.record(_record(alice, n))
            names |= {p.name for p in directory.iterdir()}
        await sink.flush()
        left = [p.name for p in directory.iterdir()]
        with sqlite_store.read() as session:
            marks = set(session.scalars(select(RequestJournalRow.name)))
    finally:
        await sink.close()
    assert len(names) >= 4  # it moved on to new journals as they filled
    assert len(left) == 1  # the full ones were removed once copied, with their marks
    assert marks == {left[0].removesuffix(".jsonl")}
    assert _logged(sqlite_store, alice) == list(range(40))
    assert verify(sqlite_store) == (41, None)
    assert list(directory.iterdir()) == []
