"""Futures leverage through the gateway: set per symbol on the exchange account, recorded, guarded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.gateway.support import EXCHANGES, SYMBOL, Desk
from tradebind.domain.market import Market
from tradebind.gateway.api import BindingPaused, GuardRefused, OrderIntent, OrderKind, OrderRejected, OrderSide
from tradebind.store.binding_controls import BindingControls

FUTURES = SYMBOL[Market.FUTURES]
# Above the market's maximum (the sandbox's, as the exchanges': Binance BTCUSDT 125, ETHUSDT 100;
# OKX and Bybit BTC 100), within the gateway's own bound of 125: the exchange refuses it.
ABOVE_MAXIMUM = {"binance": ("ETH/USDT:USDT", 101), "okx": (FUTURES, 101), "bybit": (FUTURES, 101)}


def _market_buy(deal: str) -> OrderIntent:
    return OrderIntent("bot-1", deal, "base", FUTURES, OrderSide.BUY, OrderKind.MARKET, Decimal("0.01"))


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_the_position_trades_at_the_leverage_set(shared_desk: Desk, account: str, exchange: str) -> None:
    c = shared_desk.connect(exchange, Market.FUTURES, account)
    async with shared_desk.gateway() as gateway:
        assert await gateway.set_leverage(c.ref, FUTURES, 7, bot_id="bot-1") == 7
        assert await gateway.set_leverage(c.ref, FUTURES, 7, bot_id="bot-1") == 7  # again: no change, no error
        filled = await gateway.place_order(c.ref, _market_buy("deal-1"))
        (position,) = await gateway.positions(c.ref)
    assert position.leverage == 7
    # The exchange's own figures: the position's initial margin is its notional over 7.
    margin = shared_desk.control.balances(exchange, c.account)["margin"]
    assert filled.average_price is not None
    notional = position.contracts * position.mark_price
    assert Decimal(margin["position_initial_margin"]) == pytest.approx(notional / 7, rel=Decimal("0.01"))
    leverage_records = [r for r in shared_desk.records() if " leverage " in f"{r.purpose} "]
    assert [(r.purpose, r.result, r.actor) for r in leverage_records] == [
        (f"{exchange} leverage {FUTURES}", "ok", "bot:bot-1")
    ] * 2


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_leverage_is_refused_where_it_cannot_apply(shared_desk: Desk, account: str, exchange: str) -> None:
    spot = shared_desk.connect(exchange, Market.SPOT, account)
    futures = shared_desk.connect(exchange, Market.FUTURES, f"{account}-f")
    async with shared_desk.gateway() as gateway:
        with pytest.raises(GuardRefused, match=r"^symbol: "):
            await gateway.set_leverage(spot.ref, SYMBOL[Market.SPOT], 2)
        with pytest.raises(GuardRefused, match=r"^leverage: "):
            await gateway.set_leverage(futures.ref, FUTURES, 0)
        with pytest.raises(OrderRejected, match=r"^leverage: the exchange refused"):
            await gateway.set_leverage(futures.ref, *ABOVE_MAXIMUM[exchange])
        controls = BindingControls(shared_desk.store, shared_desk.owner_id)
        controls.set_guards(futures.ref.binding_id, allowed_symbols=["ETH/USDT:USDT"])
        with pytest.raises(GuardRefused, match=r"^allowed_symbols: "):
            await gateway.set_leverage(futures.ref, FUTURES, 3)
        controls.pause(futures.ref.binding_id, verdict="INVALID_KEY", fix="replace the key", version=1)
        with pytest.raises(BindingPaused):
            await gateway.set_leverage(futures.ref, FUTURES, 3)
