"""The request-record sink on SQLite and PostgreSQL: group commit, chain integrity, fail closed,
the writer's connection settings kept to itself; on SQLite, records written on the event loop
never make it wait for another writer, keep their order, and keep the write-ahead log small."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.store.support import BACKENDS, database
from tradebind.gateway.records import ActivityRequestSink, RecordFailed, RequestRecord
from tradebind.store import OwnerDirectory, Store
from tradebind.store.activity import ActivityRepository, verify


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with database(request.param, tmp_path) as db:
        s = Store.open(db.url)
        yield s
        s.close()


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


async def test_a_batch_that_cannot_be_written_fails_every_request_in_it(store: Store) -> None:
    alice = OwnerDirectory(store).create("alice").id
    sink = ActivityRequestSink(store)
    try:
        await sink.record(_record(alice, 0))
        with store.write() as session:
            session.execute(text("DROP TABLE activity_heads"))
        results = await asyncio.gather(*(sink.record(_record(alice, n)) for n in range(20)), return_exceptions=True)
    finally:
        await sink.close()
    assert all(isinstance(r, RecordFailed) for r in results)


async def test_the_writers_connection_keeps_its_durability_setting_to_itself(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'records.sqlite3'}", pool_size=1, max_overflow=0)
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


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    yield s
    s.close()


async def test_while_another_writer_holds_the_database_records_wait_and_other_bots_run_on(
    sqlite_store: Store, tmp_path: Path
) -> None:
    alice = OwnerDirectory(sqlite_store).create("alice").id
    sink = ActivityRequestSink(sqlite_store)
    other = sqlite3.connect(tmp_path / "records.sqlite3", isolation_level=None)
    try:
        await sink.record(_record(alice, 0), alone=True)  # written on the loop: nobody else writes
        other.execute("BEGIN IMMEDIATE")  # e.g. the cabinet in another process, mid-write
        started = time.monotonic()
        first = asyncio.create_task(sink.record(_record(alice, 1), alone=True))
        for _ in range(20):  # the loop keeps turning: other bots' work goes on
            await asyncio.sleep(0)
        assert not first.done()
        # The lock comes free while record 1 still waits its turn on the writer thread: record 2
        # could be written on the loop at once, but queues behind it.
        other.execute("COMMIT")
        second = asyncio.create_task(sink.record(_record(alice, 2), alone=True))
        await asyncio.gather(first, second)
        # Nothing waited for SQLite's 30 s busy timeout on the loop.
        assert time.monotonic() - started < 10
    finally:
        other.close()
        await sink.close()
    entries = [e for e in ActivityRepository(sqlite_store, alice).recent() if e.action == "exchange.request"]
    assert [e.details["latency_ms"] for e in reversed(entries)] == [0, 1, 2]
    assert verify(sqlite_store)[1] is None


async def test_the_log_stays_small_while_records_are_written_one_by_one(sqlite_store: Store, tmp_path: Path) -> None:
    alice = OwnerDirectory(sqlite_store).create("alice").id
    sink = ActivityRequestSink(sqlite_store)
    try:
        for n in range(3000):  # a lone bot looping on look-ups: a commit on the loop for every record
            await sink.record(_record(alice, n), alone=True)
    finally:
        await sink.close()
    # Each commit adds about 14 kB to the write-ahead log; checkpointed as it goes, the log is
    # started over and stays near SQLite's own 4 MB mark instead of growing to ~40 MB.
    assert (tmp_path / "records.sqlite3-wal").stat().st_size < 12_000_000
    assert verify(sqlite_store) == (3001, None)  # the owner's creation and every record, chained
