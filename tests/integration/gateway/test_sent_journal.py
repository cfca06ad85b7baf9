"""The sent-order journal through the request-record sink, on SQLite and PostgreSQL: an order id
is new once per binding and "sent before" from then on, to this gateway at once and to every
other once copied; on a SQLite file the ids of a killed gateway are "sent before" to the next one
(copied from its journal, or counted while they cannot be), and journaling never waits for the
database."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integration.store.support import binance_material
from tradebind.gateway.records import ActivityRequestSink, _parsed, _Sent, _Taken
from tradebind.store import BindingRepository, CredentialRepository, OwnerDirectory, Store
from tradebind.store.gateway_tables import SentOrderRow
from tradebind.store.sent_orders import SentEntry
from tradebind.vault import EnvelopeVault, LocalFileKekProvider


def _bindings(store: Store, tmp_path: Path, n: int = 1) -> tuple[str, list[str]]:
    owner = OwnerDirectory(store).create("alice").id
    credentials = CredentialRepository(store, EnvelopeVault(LocalFileKekProvider(tmp_path / "kek")), owner)
    repo = BindingRepository(store, owner)
    ids = []
    for market in ("spot", "futures")[:n]:
        ids.append(repo.add(credentials.add(binance_material(), f"{market} key").id, market, market).id)
    return owner, ids


def _table(store: Store) -> set[tuple[str, str]]:
    with store.read() as session:
        return {(r.binding_id, r.client_order_id) for r in session.scalars(select(SentOrderRow))}


async def test_an_order_id_is_new_once_per_binding_and_sent_before_to_every_gateway_after(
    store: Store, tmp_path: Path
) -> None:
    owner, (spot, futures) = _bindings(store, tmp_path, 2)
    first = ActivityRequestSink(store)
    try:
        assert await first.sent(owner, spot, "tb1") is True
        assert await first.sent(owner, spot, "tb1") is False  # at once, before any copy
        assert await first.sent(owner, futures, "tb1") is True  # ids are per binding
        await first.flush()
    finally:
        await first.close()
    assert _table(store) == {(spot, "tb1"), (futures, "tb1")}
    second = ActivityRequestSink(store)  # another gateway, later
    try:
        assert await second.sent(owner, spot, "tb1") is False
        assert await second.sent(owner, spot, "tb2") is True
    finally:
        await second.close()
    assert _table(store) == {(spot, "tb1"), (futures, "tb1"), (spot, "tb2")}


async def test_journaling_an_order_id_never_waits_for_the_database(sqlite_store: Store, tmp_path: Path) -> None:
    owner, (spot,) = _bindings(sqlite_store, tmp_path)
    sink = ActivityRequestSink(sqlite_store)
    other = sqlite3.connect(tmp_path / "gateway.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process mid-write: the copy must wait, the order not
        assert await asyncio.wait_for(sink.sent(owner, spot, "tb1"), timeout=5) is True
        assert await sink.sent(owner, spot, "tb1") is False
        other.execute("COMMIT")
        await sink.flush()
        assert _table(sqlite_store) == {(spot, "tb1")}
        assert await sink.sent(owner, spot, "tb1") is False  # now from the table
    finally:
        other.close()
        await sink.close()


_CHILD = """
import asyncio, sys
from tradebind.gateway.records import ActivityRequestSink
from tradebind.store import Store

async def main(url, owner, binding):
    sink = ActivityRequestSink(Store.open(url))
    print("ready", flush=True)
    sys.stdin.readline()  # the parent holds the database's write lock now
    print([await sink.sent(owner, binding, f"tb{n}") for n in range(3)], flush=True)
    sys.stdin.readline()  # killed before this returns

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.parametrize("copy_refused", [False, True], ids=["copied", "counted"])
async def test_the_order_ids_of_a_killed_gateway_are_sent_before_to_the_next(
    sqlite_store: Store, tmp_path: Path, copy_refused: bool
) -> None:
    owner, (spot,) = _bindings(sqlite_store, tmp_path)
    db = tmp_path / "gateway.sqlite3"
    other = sqlite3.connect(db, isolation_level=None)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, f"sqlite:///{db}", owner, spot],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdin is not None
        assert child.stdout.readline().strip() == "ready"
        other.execute("BEGIN IMMEDIATE")  # nothing of the child's is copied: all in its journal
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "[True, True, True]"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
        if not copy_refused:
            other.execute("COMMIT")
        # The next gateway: it copies the journal left behind as soon as it is made; while the
        # database refuses that copy (still locked), the journal's ids count as sent all the same.
        sink = ActivityRequestSink(sqlite_store)
        try:
            assert [await sink.sent(owner, spot, f"tb{n}") for n in range(4)] == [False, False, False, True]
            if copy_refused:
                assert _table(sqlite_store) == set()  # answered from the journal, not the table
                other.execute("COMMIT")
            await sink.flush()
        finally:
            await sink.close()
    finally:
        other.close()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert _table(sqlite_store) == {(spot, f"tb{n}") for n in range(4)}
    assert list((tmp_path / "gateway.sqlite3-requests").iterdir()) == []


def test_a_journal_line_is_a_record_an_order_id_or_neither() -> None:
    moment = datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC)
    record = {
        "at": moment.isoformat(),  # as journals wrote it before epoch seconds: still read
        "owner": "o",
        "binding": "b",
        "bot": None,
        "credential": "c",
        "version": 1,
        "endpoint": "okx query",
        "result": "ok",
        "latency_ms": 3,
        "details": {"key": "abcd…wxyz"},
    }
    taken = _parsed(record, 100)
    assert isinstance(taken, _Taken)
    assert (taken.at, taken.end, taken.record.latency_ms) == (moment.timestamp(), 100, 3)
    sent = _parsed({"at": moment.timestamp(), "sent": "tb1", "binding": "b", "owner": "o"}, 200)
    assert isinstance(sent, _Sent)
    assert sent.entry() == SentEntry("o", "b", "tb1", moment)
    assert _parsed({**record, "at": "2026-11-22T10:00:00"}, 300) is None  # no zone: not a time to trust
    assert _parsed({"sent": "tb1"}, 400) is None
