"""``tradebind worker`` keeps house while its bots trade: it settles its heap (freezes its long-lived
objects) and prunes the sent-order journal past its retention."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integration.bots.support import Deployment, Worker, add_bots, stored_orders, wait_for
from tests.support.control import Control
from tradebind.domain.credentials import Bot
from tradebind.sandbox.server import SandboxServer
from tradebind.store import Store
from tradebind.store.gateway_tables import SentOrderRow

SETTLED = re.compile(r"heap settled: (\d+) objects frozen")
PARAMS = {
    "base_order_quote": "20",
    "safety_order_quote": "20",
    "max_safety_orders": 1,
    "price_deviation_pct": "1",
    "take_profit_pct": "0.5",
}


@dataclass
class Bots:
    """Two running DCA bots on one OKX binding, and the deployment the worker runs from."""

    sandbox_url: str
    control: Control
    deployment: Deployment
    store: Store
    owner_id: str
    bots: list[Bot]

    def worker(self, *args: str) -> Worker:
        return Worker(self.deployment, self.sandbox_url, "--interval", "0.2", *args)

    def orders(self) -> list[str]:
        return [o.client_order_id for o in stored_orders(self.store, self.owner_id, self.bots)]


@pytest.fixture
def rig(fresh_sandbox: SandboxServer, tmp_path: Path) -> Iterator[Bots]:
    control = Control(fresh_sandbox.url)
    deployment = Deployment(tmp_path)
    store, vault = deployment.open()
    owner_id, bots = add_bots(
        store,
        vault,
        control,
        exchange="okx",
        accounts=("chores-a",),
        bots_per_binding=2,
        symbol="BTC/USDT",
        params=lambda _: PARAMS,
    )
    yield Bots(fresh_sandbox.url, control, deployment, store, owner_id, bots)
    store.close()


def test_the_worker_freezes_its_start_up_heap_and_its_bots_trade_on(rig: Bots) -> None:
    store, owner_id, bots = rig.store, rig.owner_id, rig.bots
    worker = rig.worker("--settle-heap-every", "0.5")

    def settles() -> list[int]:
        return [int(n) for n in SETTLED.findall(worker.log.read_text())]

    worker.start()
    try:
        wait_for(lambda: len(settles()) >= 1, 30, "the first settle")
        # Every bot's deal is open (base order filled, take profit and safety order resting) ...
        wait_for(lambda: len(rig.orders()) >= 3 * len(bots), 60, "the bots to trade")
        traded_by = len(settles())
        # ... and the settles after it find the exchange clients and their markets already frozen.
        wait_for(lambda: len(settles()) >= traded_by + 2, 30, "settles while the bots trade")
        rig.control.set_price("okx", "BTC/USDT", "68000")  # take profit: the deals close, new ones open
        wait_for(
            lambda: sum(o.filled > 0 for o in stored_orders(store, owner_id, bots)) >= 3 * len(bots),
            60,
            "the bots to take profit and open new deals across settles",
        )
    finally:
        assert worker.stop() == 0
    frozen = settles()
    # The modules, ccxt's exchange classes and markets: far more than the handful a bot step leaves.
    assert min(frozen[traded_by:]) > 50_000, frozen
    assert "Traceback" not in worker.log.read_text()


def test_the_worker_prunes_journal_entries_older_than_a_week(rig: Bots) -> None:
    binding_id = rig.bots[0].binding_id
    assert binding_id is not None
    now = datetime.now(UTC)
    with rig.store.write() as session:
        for cid, age in (("tbweekold", timedelta(days=7, hours=1)), ("tbdayold", timedelta(days=1))):
            session.add(
                SentOrderRow(binding_id=binding_id, client_order_id=cid, owner_id=rig.owner_id, sent_at=now - age)
            )

    def journal() -> set[str]:
        with rig.store.read() as session:
            return set(session.scalars(select(SentOrderRow.client_order_id)))

    worker = rig.worker()
    worker.start()
    try:
        wait_for(lambda: "tbweekold" not in journal(), 30, "the week-old journal entry to be pruned")
        wait_for(lambda: len(rig.orders()) >= 1, 60, "the bots to trade")
    finally:
        assert worker.stop() == 0
    kept = journal()
    assert "tbdayold" in kept
    assert set(rig.orders()) <= kept  # the bots' own, just sent
    assert "sent-order journal pruned: 1 sent before" in worker.log.read_text()
