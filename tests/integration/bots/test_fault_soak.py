"""The fault soak: bots trade on the sandbox through a real ``tradebind worker`` subprocess while
the exchange drops accepted orders, answers 5xx with unknown outcome, lags, squeezes the rate
limit and goes into maintenance (over 1,000 injected faults), and the worker is SIGKILLed
mid-order and restarted. At the end the exchange's order list and tradebind's are equal: every
exchange order is one tradebind recorded (zero unknown), no client order id twice (zero
duplicates), and the same state and filled amount on both sides."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.integration.bots.support import (
    Deployment,
    Worker,
    add_bots,
    exchange_view,
    stored_orders,
    tradebind_view,
    wait_for,
)
from tests.support.control import Control
from tradebind.sandbox.server import SandboxServer
from tradebind.store import ActivityEntry, ActivityRepository, Store, verify
from tradebind.store.deals import DealRepository

EXCHANGE = "okx"
ACCOUNTS = ("soak-a", "soak-b")
# Counted faults: each fires on an eligible request with its probability until its count is used up.
FAULTS: list[dict[str, Any]] = [
    {"kind": "drop_after_accept", "count": 200, "probability": 0.5},  # order requests only
    {"kind": "server_error", "count": 300, "probability": 0.15},
    {"kind": "latency", "ms": 250, "count": 350, "probability": 0.3},
    {"kind": "maintenance", "count": 200, "probability": 0.08},
]
INJECTED = sum(f["count"] for f in FAULTS)  # all of them fire before the test ends
assert INJECTED >= 1000
KILLS = 3
# One price cycle around 65,000: two safety orders fill on the way down, take profits on the way
# up; every fourth cycle falls far enough for the stop losses.
CYCLE = ["65000", "64300", "63600", "64700", "65600", "65000"]
CRASH = ["65000", "64300", "63600", "61500", "61400", "61600", "65000"]


def params(n: int) -> dict[str, Any]:
    return {
        "base_order_quote": "20",
        "safety_order_quote": "20",
        "max_safety_orders": 2,
        "price_deviation_pct": "1",
        "take_profit_pct": "0.5",
        **({"stop_loss_pct": "4"} if n % 2 == 0 else {}),
    }


def all_activity(store: Store, owner_id: str) -> list[ActivityEntry]:
    """Every activity entry of the owner, newest first (the repository pages by 1,000)."""
    repo, entries = ActivityRepository(store, owner_id), []
    page = repo.recent(limit=1000)
    while page:
        entries.extend(page)
        page = repo.recent(limit=1000, before_seq=page[-1].seq)
    return entries


def rate_limited(store: Store, owner_id: str) -> bool:
    """Whether one of the owner's latest 500 requests was answered with a rate limit."""
    return any(e.result.startswith("RATE_LIMITED") for e in ActivityRepository(store, owner_id).recent(limit=500))


class PriceDriver(threading.Thread):
    """Moves BTC/USDT through the cycles, one price per ``hold_s``, until stopped."""

    def __init__(self, control: Control, hold_s: float) -> None:
        super().__init__(daemon=True)
        self._control, self._hold = control, hold_s
        self._stop_event = threading.Event()
        self.cycles = 0

    def run(self) -> None:
        for n in itertools.count():
            for price in CRASH if n % 4 == 3 else CYCLE:
                if self._stop_event.wait(self._hold):
                    return
                self._control.set_price(EXCHANGE, "BTC/USDT", price)
            self.cycles += 1

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


def test_exchange_and_tradebind_agree_after_1000_faults_and_sigkills(
    fresh_sandbox: SandboxServer, tmp_path: Path
) -> None:
    control = Control(fresh_sandbox.url)
    deployment = Deployment(tmp_path)
    store, vault = deployment.open()
    owner_id, bots = add_bots(
        store,
        vault,
        control,
        exchange=EXCHANGE,
        accounts=ACCOUNTS,
        bots_per_binding=6,
        symbol="BTC/USDT",
        params=params,
    )
    worker = Worker(
        deployment, fresh_sandbox.url, "--interval", "0.2", "--unknown-grace", "2", "--log-level", "WARNING"
    )
    driver = PriceDriver(control, hold_s=0.6)

    def pending() -> int:
        return sum(o.state == "pending" for o in stored_orders(store, owner_id, bots))

    def remaining() -> int:
        return sum(f["count"] or 0 for f in control.faults(EXCHANGE) if f["kind"] != "rate_limit")

    worker.start()
    driver.start()
    try:
        wait_for(lambda: len(stored_orders(store, owner_id, bots)) >= 3 * len(bots), 60, "the bots to trade")
        for fault in FAULTS:
            control.fault(EXCHANGE, **fault)
        kills_mid_order = 0
        for _ in range(KILLS):
            # Kill while an order's outcome is unrecorded: its intent is stored, its answer is not.
            # The order may finish between seeing it pending and the kill; then kill again.
            for _attempt in range(5):
                wait_for(lambda: pending() > 0, 60, "an order in flight")
                worker.kill()
                mid_order = pending() > 0
                worker.start()
                if mid_order:
                    kills_mid_order += 1
                    break
        # A rate-limit squeeze: 6 requests a minute per endpoint and account, for 8 s and until
        # the worker has met it (how many requests 8 s hold depends on the bots' state then).
        control.fault(EXCHANGE, "rate_limit", weight_per_minute=6)
        squeeze_ends = time.monotonic() + 8
        wait_for(
            lambda: time.monotonic() > squeeze_ends and rate_limited(store, owner_id),
            60,
            "the worker to meet the squeeze",
            poll=0.5,
        )
        control.fault(EXCHANGE, "rate_limit", weight_per_minute=1_000_000_000)
        wait_for(lambda: remaining() == 0, 150, "every counted fault to fire", poll=0.5)
        control.clear_faults(EXCHANGE)
    finally:
        driver.stop()

    try:
        # Calm market: let the worker reconcile everything it has not heard back about yet.
        wait_for(
            lambda: tradebind_view(stored_orders(store, owner_id, bots)) == exchange_view(control, EXCHANGE, ACCOUNTS),
            60,
            "tradebind's orders to match the exchange's",
            poll=0.5,
        )
    finally:
        assert worker.stop() == 0

    ours = tradebind_view(stored_orders(store, owner_id, bots))
    theirs = exchange_view(control, EXCHANGE, ACCOUNTS)  # fails on a duplicate client order id
    assert set(theirs) - set(ours) == set(), "orders on the exchange that tradebind does not know"
    assert set(ours) - set(theirs) == set(), "orders tradebind believes in that the exchange never had"
    assert ours == theirs
    assert kills_mid_order == KILLS
    deals = DealRepository(store, owner_id)
    closed = [d for bot in bots for d in deals.deals(bot.id) if d.status == "closed"]
    assert {d.close_reason for d in closed} >= {"take_profit", "stop_loss"}
    assert sum(o.filled > 0 for o in stored_orders(store, owner_id, bots)) > len(bots) * 3
    # The worker met the faults (its request records say so), and its activity log, written by
    # processes that were SIGKILLed three times, still verifies end to end.
    results = Counter(e.result.split(":")[0] for e in all_activity(store, owner_id))
    assert results["RATE_LIMITED"] > 0, results
    assert results["EXCHANGE_UNAVAILABLE"] > 0, results
    checked, broken = verify(store)
    assert broken is None
    assert checked >= sum(results.values())
