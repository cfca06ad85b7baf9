"""Orders and shared reads through the gateway, on every exchange and market of the sandbox."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.integration.gateway.support import EXCHANGES, SYMBOL, Desk, resting_intent
from tests.security.canary_scan import scan
from tradebind.domain.market import Market
from tradebind.gateway.api import OrderIntent, OrderKind, OrderRejected, OrderSide, OrderState
from tradebind.store import verify

BALANCE_CALLS = {
    "binance": ["GET /api/v3/account"],
    "okx": ["GET /api/v5/account/balance"],
    "bybit": ["GET /v5/account/wallet-balance", "GET /v5/asset/transfer/query-account-coins-balance"],
}
COMBOS = [(e, m) for e in EXCHANGES for m in Market]
IDS = [f"{e}-{m.value}" for e, m in COMBOS]


@pytest.mark.parametrize(("exchange", "market"), COMBOS, ids=IDS)
async def test_same_intent_twice_places_one_order_even_after_a_restart(
    shared_desk: Desk, account: str, exchange: str, market: Market
) -> None:
    c = shared_desk.connect(exchange, market, account)
    intent = resting_intent(market)
    async with shared_desk.gateway() as gateway:
        first = await gateway.place_order(c.ref, intent)
        again = await gateway.place_order(c.ref, intent)
    async with shared_desk.gateway() as restarted:  # a new process: nothing in memory
        after_restart = await restarted.place_order(c.ref, intent)
        assert restarted.client_order_id(c.ref, intent) == first.client_order_id
    assert first.state is OrderState.OPEN
    assert again.exchange_order_id == after_restart.exchange_order_id == first.exchange_order_id
    orders = shared_desk.exchange_orders(c)
    assert [o["client_order_id"] for o in orders] == [first.client_order_id]


@pytest.mark.parametrize(("exchange", "market"), COMBOS, ids=IDS)
async def test_query_open_orders_cancel_and_balance(
    shared_desk: Desk, account: str, exchange: str, market: Market
) -> None:
    c = shared_desk.connect(exchange, market, account)
    intent = resting_intent(market)
    async with shared_desk.gateway() as gateway:
        before = await gateway.balance(c.ref)
        assert (before.asset, before.wallet_balance, before.available) == ("USDT", Decimal(10000), Decimal(10000))
        assert await gateway.query_order(c.ref, intent.symbol, gateway.client_order_id(c.ref, intent)) is None
        placed = await gateway.place_order(c.ref, intent)
        assert (placed.symbol, placed.side, placed.kind, placed.amount, placed.price) == (
            SYMBOL[market], OrderSide.BUY, OrderKind.LIMIT, intent.amount, intent.price,
        )  # fmt: skip
        # The order reserves funds; the shared read was refreshed after the order.
        assert (await gateway.balance(c.ref)).available < before.available
        found = await gateway.query_order(c.ref, intent.symbol, placed.client_order_id)
        assert found is not None
        assert found.exchange_order_id == placed.exchange_order_id
        assert [o.client_order_id for o in await gateway.open_orders(c.ref, intent.symbol)] == [placed.client_order_id]
        assert [o.client_order_id for o in await gateway.open_orders(c.ref)] == [placed.client_order_id]
        canceled = await gateway.cancel_order(c.ref, intent.symbol, placed.client_order_id)
        assert canceled.state is OrderState.CANCELED
        assert await gateway.open_orders(c.ref, intent.symbol) == []
        assert (await gateway.balance(c.ref)).available == before.available
    assert [o["status"] for o in shared_desk.exchange_orders(c)] == ["canceled"]


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_market_order_fills_and_opens_a_position(shared_desk: Desk, account: str, exchange: str) -> None:
    c = shared_desk.connect(exchange, Market.FUTURES, account)
    intent = OrderIntent(
        "bot-1", "deal-7", "base", SYMBOL[Market.FUTURES], OrderSide.BUY, OrderKind.MARKET, Decimal("0.01")
    )
    async with shared_desk.gateway() as gateway:
        filled = await gateway.place_order(c.ref, intent)
        assert filled.state is OrderState.FILLED
        assert filled.filled == Decimal("0.01")
        assert filled.average_price
        assert filled.average_price > 0
        (position,) = await gateway.positions(c.ref)
    # In base units on every exchange (OKX counts BTC-USDT-SWAP in contracts of 0.01 BTC).
    assert (position.symbol, position.contracts) == (SYMBOL[Market.FUTURES], Decimal("0.01"))
    assert [o["qty"] for o in shared_desk.exchange_orders(c)] == ["1" if exchange == "okx" else "0.01"]


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_many_bots_share_one_balance_fetch(shared_desk: Desk, account: str, exchange: str) -> None:
    c = shared_desk.connect(exchange, Market.SPOT, account)
    async with shared_desk.gateway(read_ttl_s=30) as gateway:
        views = await asyncio.gather(*(gateway.balance(c.ref, bot_id=f"bot-{i}") for i in range(20)))
        again = await gateway.balance(c.ref, bot_id="bot-late")
    assert {v.available for v in views} == {Decimal(10000)}
    assert again == views[0]
    balance_reads = [r.purpose for r in shared_desk.records() if r.purpose.startswith(f"{exchange} balance")]
    # One fetch: one call (Bybit: the wallet, then the transferable amounts).
    assert balance_reads == [f"{exchange} balance {call}" for call in BALANCE_CALLS[exchange]]


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_every_signed_request_is_recorded_in_the_activity_chain(
    shared_desk: Desk, account: str, exchange: str
) -> None:
    c = shared_desk.connect(exchange, Market.SPOT, account)
    intent = resting_intent(Market.SPOT, bot="bot-rec")
    async with shared_desk.gateway() as gateway:
        placed = await gateway.place_order(c.ref, intent)
        await gateway.cancel_order(c.ref, intent.symbol, placed.client_order_id, bot_id="bot-rec")
        # The request journal on disk holds the records, but neither the secret in any encoding
        # (the scanner does find it where it is planted) nor the whole key id.
        blobs = {p.name: p.read_bytes() for p in shared_desk.journal_directory().glob("*.jsonl")}
        assert any(b"bot-rec" in blob for blob in blobs.values())
        assert scan(blobs, [c.secret]) == []
        assert scan({"planted": b"".join(blobs.values()) + c.secret.encode()}, [c.secret]) != []
        assert not any(c.api_key.encode() in blob for blob in blobs.values())
    records = shared_desk.records()
    assert [r.purpose for r in records] == [
        f"{exchange} place BTC/USDT",
        f"{exchange} query BTC/USDT",  # cancel: find the order by client id, cancel it, read it back
        f"{exchange} cancel BTC/USDT",
        f"{exchange} query BTC/USDT",
    ]
    assert {r.actor for r in records} == {"bot:bot-rec"}
    assert {r.result for r in records} == {"ok"}
    assert all(r.details["binding"] == c.ref.binding_id and r.details["version"] == 1 for r in records)
    assert all(isinstance(r.details["latency_ms"], int) for r in records)
    assert all(c.api_key not in str(r.details) for r in records)
    checked, broken = verify(shared_desk.store)
    assert broken is None
    assert checked >= len(records)


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_an_order_the_exchange_refuses_is_rejected_once_without_pausing(
    shared_desk: Desk, account: str, exchange: str
) -> None:
    c = shared_desk.connect(exchange, Market.SPOT, account, usdt="100")
    amount, price = Decimal("1"), Decimal("1000")  # 1000 USDT wanted, 100 there
    intent = OrderIntent("bot-1", "deal-1", "base", SYMBOL[Market.SPOT], OrderSide.BUY, OrderKind.LIMIT, amount, price)
    async with shared_desk.gateway() as gateway:
        with pytest.raises(OrderRejected, match="place: the exchange refused"):
            await gateway.place_order(c.ref, intent)
        assert gateway.controls(shared_desk.owner_id).pause_of(c.ref.binding_id) is None
        assert (await gateway.balance(c.ref)).available == Decimal(100)
    places = [r.result for r in shared_desk.records() if " place " in r.purpose]
    assert len(places) == 1  # not retried: funds do not appear by waiting
    assert places[0] != "ok"
    assert shared_desk.exchange_orders(c) == []
