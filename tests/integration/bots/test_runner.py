"""The runner in process, against the sandbox through the real gateway: a deal's whole cycle,
and resuming after a crash at each point of placing an order."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.integration.bots.support import (
    Deployment,
    add_bots,
    exchange_view,
    stored_orders,
    tradebind_view,
    wait_for,
)
from tests.integration.store.support import database
from tests.support.control import Control
from tradebind.bots.deal_view import deal_view
from tradebind.bots.market_data import CcxtMarketData
from tradebind.bots.runner import BotRunner, RunnerConfig
from tradebind.bots.strategies.dca import DcaParams, deal_figures
from tradebind.domain.credentials import Bot, BotState
from tradebind.exchanges.base import Endpoint
from tradebind.gateway.api import BindingRef, OrderIntent, OrderKind, OrderSide
from tradebind.gateway.service import GatewayService
from tradebind.sandbox.server import SandboxServer
from tradebind.store import ActivityRepository, BotRepository
from tradebind.store.deals import DealRepository

EXCHANGE = "okx"
PARAMS: dict[str, Any] = {
    "base_order_quote": "100",
    "safety_order_quote": "100",
    "max_safety_orders": 2,
    "price_deviation_pct": "1",
    "take_profit_pct": "1",
}


class Rig:
    def __init__(
        self,
        sandbox: SandboxServer,
        root: Path,
        market: str = "spot",
        params: dict[str, Any] = PARAMS,
        exchange: str = EXCHANGE,
        database_url: str | None = None,
    ) -> None:
        self.exchange = exchange
        self.control = Control(sandbox.url)
        self.url = sandbox.url
        self.market_kind = market
        self.store, self.vault = Deployment(root).open(database_url)
        self.account = f"rig-{root.name[-8:]}"
        self.control.set_price(exchange, "BTC/USDT", "65000")
        self.owner_id, bots = add_bots(
            self.store,
            self.vault,
            self.control,
            exchange=exchange,
            accounts=[self.account],
            bots_per_binding=1,
            symbol="BTC/USDT",
            params=lambda _: params,
            market=market,
        )
        self.bot: Bot = bots[0]
        self.deals = DealRepository(self.store, self.owner_id)
        self.gateway = GatewayService(self.store, self.vault, Endpoint(sandbox_url=sandbox.url))
        self.market = CcxtMarketData(sandbox.url)

    def runner(self, grace_s: float = 60.0) -> BotRunner:
        return BotRunner(self.store, self.gateway, self.market, config=RunnerConfig(unknown_grace_s=grace_s))

    def exchange_orders(self) -> dict[str, tuple[str, Decimal]]:
        size = Decimal("0.01") if self.market_kind == "futures" else Decimal(1)  # OKX BTC-USDT-SWAP: 0.01 BTC
        found = exchange_view(self.control, self.exchange, [self.account], size)
        return {cid: (state, filled.normalize()) for cid, (state, filled) in found.items()}

    def our_orders(self) -> dict[str, tuple[str, Decimal]]:
        return tradebind_view(stored_orders(self.store, self.owner_id, [self.bot]))

    async def close(self) -> None:
        await self.gateway.close()
        await self.market.close()
        self.store.close()


@pytest.fixture
async def rig(fresh_sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[Rig]:
    r = Rig(fresh_sandbox, tmp_path)
    yield r
    await r.close()


@pytest.mark.parametrize("exchange", ["binance", "okx", "bybit"])
async def test_a_deal_runs_from_base_order_to_take_profit(
    fresh_sandbox: SandboxServer, tmp_path: Path, exchange: str
) -> None:
    rig = Rig(fresh_sandbox, tmp_path, exchange=exchange)
    try:
        await _deal_cycle(rig)
    finally:
        await rig.close()


async def _deal_cycle(rig: Rig) -> None:
    runner = rig.runner()
    await runner.tick()
    deal = rig.deals.open_deal(rig.bot.id)
    assert deal is not None
    assert {o.step: o.state for o in deal.orders} == {"base": "filled", "so1": "open", "tp0": "open"}

    rig.control.set_price(rig.exchange, "BTC/USDT", "64300")  # below so1 at 64350
    await runner.tick()
    deal = rig.deals.open_deal(rig.bot.id)
    assert deal is not None
    states = {o.step: o.state for o in deal.orders}
    assert states == {"base": "filled", "so1": "filled", "so2": "open", "tp0": "canceled", "tp1": "open"}
    params = DcaParams.parse(PARAMS)
    figures = deal_figures(params, deal_view(deal), Decimal(64300))
    assert figures.average_entry is not None
    assert Decimal(64350) < figures.average_entry < Decimal(65000)
    tp1 = next(o for o in deal.orders if o.step == "tp1")
    assert tp1.price is not None
    assert tp1.price >= figures.average_entry * Decimal("1.01")

    rig.control.set_price(rig.exchange, "BTC/USDT", "66000")  # take profit fills
    await runner.tick()
    (closed,) = rig.deals.deals(rig.bot.id)
    assert (closed.status, closed.close_reason) == ("closed", "take_profit")
    assert {o.step: o.state for o in closed.orders}["so2"] == "canceled"
    assert deal_figures(params, deal_view(closed), Decimal(66000)).realised_pnl > 0
    await runner.tick()  # the next deal opens
    assert [d.seq for d in rig.deals.deals(rig.bot.id)] == [2, 1]
    assert rig.our_orders() == rig.exchange_orders()


async def _record_pending_base(rig: Rig) -> tuple[str, OrderIntent]:
    """What a worker does right before it sends the base order: the intent is durable."""
    deal = rig.deals.start(rig.bot.id, "BTC/USDT")
    assert rig.bot.binding_id is not None
    ref = BindingRef(rig.owner_id, rig.bot.binding_id)
    intent = OrderIntent(rig.bot.id, deal.id, "base", "BTC/USDT", OrderSide.BUY, OrderKind.MARKET, Decimal("0.0015"))
    cid = rig.gateway.client_order_id(ref, intent)
    rig.deals.add_order(
        deal.id,
        step="base",
        client_order_id=cid,
        side="buy",
        kind="market",
        amount=intent.amount,
        price=None,
        reduce_only=False,
    )
    return cid, intent


async def test_the_runner_keeps_its_deals_on_postgresql_too(fresh_sandbox: SandboxServer, tmp_path: Path) -> None:
    with database("postgresql", tmp_path) as db:
        rig = Rig(fresh_sandbox, tmp_path, database_url=db.url)
        try:
            await _deal_cycle(rig)
        finally:
            await rig.close()


async def test_a_crash_after_the_exchange_took_the_order_resumes_without_a_second_one(rig: Rig) -> None:
    cid, intent = await _record_pending_base(rig)
    assert rig.bot.binding_id is not None
    # The dead worker's request reached the exchange; its answer was never recorded.
    await rig.gateway.place_order(BindingRef(rig.owner_id, rig.bot.binding_id), intent)
    await rig.runner().tick()  # a new worker: queries by client order id before acting
    assert list(rig.exchange_orders()).count(cid) == 1
    deal = rig.deals.open_deal(rig.bot.id)
    assert deal is not None
    assert {o.step: o.state for o in deal.orders}["base"] == "filled"
    assert rig.our_orders() == rig.exchange_orders()


async def test_a_crash_before_the_order_was_sent_sends_it_once_the_grace_has_passed(rig: Rig) -> None:
    cid, _ = await _record_pending_base(rig)
    recorded = time.monotonic()
    runner = rig.runner(grace_s=1.0)
    await runner.tick()  # never seen, but it could still be in flight: nothing is sent yet
    assert time.monotonic() - recorded < 1.0, "the tick took longer than the grace; the check above proves nothing"
    assert rig.exchange_orders() == {}
    assert rig.our_orders() == {cid: ("pending", Decimal(0))}
    wait_for(lambda: time.monotonic() - recorded > 1.0, 5, "the grace to pass")
    await runner.tick()  # recorded long enough ago: the same intent goes out, once
    assert rig.exchange_orders()[cid] == ("filled", Decimal("0.0015"))
    assert rig.our_orders() == rig.exchange_orders()


async def test_an_order_dropped_after_the_exchange_accepted_it_is_found_not_repeated(rig: Rig) -> None:
    rig.control.fault(EXCHANGE, "drop_after_accept", count=3)
    runner = rig.runner()
    for _ in range(3):
        await runner.tick()
    assert rig.control.faults(EXCHANGE) == []
    assert rig.our_orders() == rig.exchange_orders()
    assert len(rig.exchange_orders()) == 3  # base, so1, tp0: each once


async def test_a_futures_short_deal_takes_profit_with_reduce_only_orders(
    fresh_sandbox: SandboxServer, tmp_path: Path
) -> None:
    short = {**PARAMS, "market": "futures", "direction": "short", "leverage": 5, "max_safety_orders": 1}
    rig = Rig(fresh_sandbox, tmp_path, market="futures", params=short)
    try:
        runner = rig.runner()
        await runner.tick()
        deal = rig.deals.open_deal(rig.bot.id)
        assert deal is not None
        orders = {o.step: o for o in deal.orders}
        assert {s: o.state for s, o in orders.items()} == {"base": "filled", "so1": "open", "tp0": "open"}
        assert (orders["base"].side, orders["so1"].side, orders["tp0"].side) == ("sell", "sell", "buy")
        assert orders["tp0"].reduce_only
        assert orders["base"].symbol == "BTC/USDT:USDT"
        # 100 USDT at 65,000, in steps of one OKX lot (0.01 contract of 0.01 BTC): 0.0015 BTC.
        assert orders["base"].filled == Decimal("0.0015")
        assert orders["tp0"].price is not None
        assert orders["tp0"].price < Decimal(65000)

        rig.control.set_price(EXCHANGE, "BTC/USDT", "64000")  # take profit (1 % below 65,000) fills
        await runner.tick()
        (closed,) = rig.deals.deals(rig.bot.id)
        assert (closed.status, closed.close_reason) == ("closed", "take_profit")
        assert rig.our_orders() == rig.exchange_orders()
    finally:
        await rig.close()


@pytest.mark.parametrize("exchange", ["binance", "okx", "bybit"])
async def test_a_futures_bot_trades_at_its_leverage_and_sets_it_again_after_a_restart(
    fresh_sandbox: SandboxServer, tmp_path: Path, exchange: str
) -> None:
    params = {**PARAMS, "market": "futures", "leverage": 4, "max_safety_orders": 1}
    rig = Rig(fresh_sandbox, tmp_path, market="futures", params=params, exchange=exchange)
    ref = BindingRef(rig.owner_id, str(rig.bot.binding_id))
    try:
        await rig.runner().tick()
        (position,) = await rig.gateway.positions(ref)
        assert position.leverage == 4
        # The exchange's own figures: the position's initial margin is its notional over 4.
        margin = Decimal(rig.control.balances(exchange, rig.account)["margin"]["position_initial_margin"])
        assert margin == pytest.approx(position.contracts * position.mark_price / 4, rel=Decimal("0.01"))

        # Someone changes the account's leverage while no worker runs; a restarted worker sets
        # the bot's again before it acts.
        await rig.gateway.set_leverage(ref, "BTC/USDT:USDT", 2)
        assert [p.leverage for p in await rig.gateway.positions(ref)] == [2]
        restarted = rig.runner()
        await restarted.tick()
        assert [p.leverage for p in await rig.gateway.positions(ref)] == [4]
        await rig.gateway.flush_records()
        requests = [e for e in ActivityRepository(rig.store, rig.owner_id).recent(limit=200)
                    if e.action == "exchange.request" and " leverage " in f"{e.purpose} "]  # fmt: skip
        assert len(requests) == 3  # the first worker's, the change, the restarted worker's
    finally:
        await rig.close()


async def test_a_bot_with_parameters_it_cannot_run_with_is_marked_failed(rig: Rig) -> None:
    bots = BotRepository(rig.store, rig.owner_id)
    bots.configure(rig.bot.id, params={**PARAMS, "take_profit_pct": "0"})
    await rig.runner().tick()
    assert bots.get(rig.bot.id).state is BotState.FAILED
    assert rig.exchange_orders() == {}
    (entry,) = ActivityRepository(rig.store, rig.owner_id).recent(limit=1)
    assert (entry.action, entry.actor) == ("bot.state", f"bot:{rig.bot.id}")
    assert "take_profit_pct" in entry.details["reason"]


async def test_a_futures_bot_whose_leverage_the_exchange_refuses_is_marked_failed_before_any_order(
    fresh_sandbox: SandboxServer, tmp_path: Path
) -> None:
    # OKX allows BTC-USDT-SWAP up to 100x (the sandbox's instrument, as OKX's): 101 is refused.
    params = {**PARAMS, "market": "futures", "leverage": 101}
    rig = Rig(fresh_sandbox, tmp_path, market="futures", params=params)
    try:
        await rig.runner().tick()
        bot = BotRepository(rig.store, rig.owner_id).get(rig.bot.id)
        assert bot.state is BotState.FAILED
        assert rig.exchange_orders() == {}
        assert rig.deals.deals(rig.bot.id) == []
    finally:
        await rig.close()


async def test_of_two_futures_bots_started_on_one_position_at_different_leverage_the_later_is_halted(
    fresh_sandbox: SandboxServer, tmp_path: Path
) -> None:
    # Both running, as two starts racing past the cabinet's check would leave them.
    params = {**PARAMS, "market": "futures", "leverage": 4, "max_safety_orders": 1}
    rig = Rig(fresh_sandbox, tmp_path, market="futures", params=params)
    bots = BotRepository(rig.store, rig.owner_id)
    later = bots.add("later", str(rig.bot.binding_id), "BTC/USDT", "dca", {**params, "leverage": 2})
    bots.set_state(later.id, "running")
    try:
        await rig.runner().tick()
        assert bots.get(later.id).state is BotState.FAILED
        assert bots.get(rig.bot.id).state is BotState.RUNNING
        # Only the earlier bot traded, at its own leverage; the later one sent nothing at all.
        assert [p.leverage for p in await rig.gateway.positions(BindingRef(rig.owner_id, str(rig.bot.binding_id)))] == [
            4
        ]
        assert set(rig.exchange_orders()) == set(rig.our_orders()) != set()
        assert rig.deals.deals(later.id) == []
        reasons = [e.details.get("reason") for e in ActivityRepository(rig.store, rig.owner_id).recent(limit=200)
                   if e.action == "bot.state" and e.details.get("bot") == later.id]  # fmt: skip
        assert str(reasons[0]).startswith("leverage: bot “dca rig")  # the newest: why it failed
        assert "at 4x" in str(reasons[0])
        # A restarted worker leaves it so: the failed bot is not trading, the other keeps going.
        await rig.runner().tick()
        assert bots.get(later.id).state is BotState.FAILED
        assert bots.get(rig.bot.id).state is BotState.RUNNING
    finally:
        await rig.close()
