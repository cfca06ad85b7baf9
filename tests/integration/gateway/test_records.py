"""The request-record sink on SQLite and PostgreSQL: group commit, chain integrity, fail closed,
and the writer's connection settings kept to itself."""

from __future__ import annotations

import asyncio
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
