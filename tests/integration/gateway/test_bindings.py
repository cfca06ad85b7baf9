"""Per-binding behaviour: guards, key replacement without restarts, the circuit breaker, and
failing closed when the request record cannot be written."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.integration.gateway.support import EXCHANGES, SYMBOL, Desk, resting_intent
from tradebind.domain.market import Market
from tradebind.domain.verdicts import Verdict
from tradebind.gateway.api import BindingPaused, GatewayError, GuardRefused, OrderIntent, OrderKind, OrderSide
from tradebind.gateway.records import ActivityRequestSink
from tradebind.store import verify
from tradebind.store.errors import Invalid

# What each exchange answers for a key it no longer has (sandbox and exchanges.md §1.4/§2.4/§3.4).
GONE_KEY = {"binance": Verdict.INVALID_KEY, "okx": Verdict.INVALID_KEY, "bybit": Verdict.INVALID_KEY}


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_guards_refuse_before_anything_reaches_the_exchange(
    shared_desk: Desk, account: str, exchange: str
) -> None:
    c = shared_desk.connect(exchange, Market.SPOT, account)
    controls = shared_desk.gateway().controls(shared_desk.owner_id)
    controls.set_guards(c.ref.binding_id, allowed_symbols=["BTC/USDT"], max_order_value="50")
    eth = OrderIntent("bot-1", "d1", "base", "ETH/USDT", OrderSide.BUY, OrderKind.LIMIT, Decimal("0.1"), Decimal("100"))
    too_big = OrderIntent("bot-1", "d1", "so1", "BTC/USDT", OrderSide.BUY, OrderKind.LIMIT, Decimal("0.06"),
                          Decimal("1000"))  # fmt: skip
    market_buy = OrderIntent("bot-1", "d1", "so2", "BTC/USDT", OrderSide.BUY, OrderKind.MARKET, Decimal("1"))
    futures = OrderIntent("bot-1", "d1", "so3", SYMBOL[Market.FUTURES], OrderSide.BUY, OrderKind.LIMIT,
                          Decimal("0.01"), Decimal("20000"))  # fmt: skip
    async with shared_desk.gateway() as gateway:
        with pytest.raises(GuardRefused, match="allowed_symbols: ETH/USDT is not one of"):
            await gateway.place_order(c.ref, eth)
        with pytest.raises(
            GuardRefused, match="max_order_value: the order is worth 60, above this binding's limit of 50"
        ):
            await gateway.place_order(c.ref, too_big)
        with pytest.raises(GuardRefused, match="max_order_value"):  # valued at the last price
            await gateway.place_order(c.ref, market_buy)
        with pytest.raises(GuardRefused, match="symbol: BTC/USDT:USDT is not a spot symbol"):
            await gateway.place_order(c.ref, futures)
        within = await gateway.place_order(c.ref, resting_intent(Market.SPOT))
    assert [o["client_order_id"] for o in shared_desk.exchange_orders(c)] == [within.client_order_id]
    assert not [r for r in shared_desk.records() if " place " in r.purpose and r.result != "ok"]


def test_guard_input_is_checked_and_names_the_field(shared_desk: Desk, account: str) -> None:
    c = shared_desk.connect("binance", Market.SPOT, account)
    controls = shared_desk.gateway().controls(shared_desk.owner_id)
    with pytest.raises(Invalid, match="max_order_value: must be a positive amount") as raised:
        controls.set_guards(c.ref.binding_id, max_order_value="-5")
    assert raised.value.field == "max_order_value"
    with pytest.raises(Invalid, match="max_order_value: must be a number"):
        controls.set_guards(c.ref.binding_id, max_order_value="lots")
    with pytest.raises(Invalid, match="allowed_symbols") as raised:
        controls.set_guards(c.ref.binding_id, allowed_symbols=[""])
    assert raised.value.field == "allowed_symbols"
    assert controls.set_guards(c.ref.binding_id, allowed_symbols=["BTC/USDT", "BTC/USDT"]).allowed_symbols == (
        "BTC/USDT",
    )


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_after_a_key_replacement_every_bot_uses_the_new_key_without_a_restart(
    shared_desk: Desk, account: str, exchange: str
) -> None:
    c = shared_desk.connect(exchange, Market.SPOT, account)
    bots = [f"bot-{i}" for i in range(5)]
    async with shared_desk.gateway(read_ttl_s=0) as gateway:
        await asyncio.gather(*(gateway.balance(c.ref, bot_id=b) for b in bots))
        old_client = gateway._pool.current(c.credential_id)
        assert old_client is not None
        # Replace the material, and delete the old key on the exchange: a use of it would fail.
        shared_desk.replace_key(c)
        views = await asyncio.gather(*(gateway.balance(c.ref, bot_id=b) for b in bots))
        placed = await asyncio.gather(*(gateway.place_order(c.ref, resting_intent(Market.SPOT, bot=b)) for b in bots))
        assert old_client.closed.is_set()
    assert {v.available for v in views} == {Decimal(10000)}
    assert len({p.client_order_id for p in placed}) == len(bots)
    after = [r for r in shared_desk.records() if r.details["version"] == 2]
    assert after
    assert {r.result for r in after} == {"ok"}
    assert {r.result for r in shared_desk.records()} == {"ok"}  # the old key was never used again


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_a_refused_key_pauses_every_bot_until_a_successful_recheck(
    shared_desk: Desk, account: str, exchange: str
) -> None:
    c = shared_desk.connect(exchange, Market.SPOT, account)
    async with shared_desk.gateway() as gateway:
        await gateway.balance(c.ref)
        shared_desk.control.delete_key(c.api_key)  # e.g. the user deleted the key on the exchange
        with pytest.raises(BindingPaused) as paused:
            await gateway.place_order(c.ref, resting_intent(Market.SPOT, bot="bot-a"))
        assert paused.value.verdict is GONE_KEY[exchange]
        assert "API key" in paused.value.fix
        await gateway.flush_records()
        sent = len(shared_desk.records())
        # Every bot on the binding now waits, without another request to the exchange.
        for bot in ("bot-a", "bot-b", "bot-c"):
            with pytest.raises(BindingPaused) as again:
                await gateway.place_order(c.ref, resting_intent(Market.SPOT, bot=bot))
            assert (again.value.verdict, again.value.fix) == (paused.value.verdict, paused.value.fix)
        with pytest.raises(BindingPaused):
            await gateway.balance(c.ref)
        await gateway.flush_records()
        assert len(shared_desk.records()) == sent
        pause = gateway.controls(shared_desk.owner_id).pause_of(c.ref.binding_id)
        assert pause is not None
        assert pause.verdict == paused.value.verdict.value
        assert pause.version == 1

        # The user connects a working key; the re-check passes and the bots resume.
        shared_desk.replace_key(c, delete_old=False)  # the old one is gone already
        report = await gateway.recheck(c.ref)
        assert report.decision.verdict in (Verdict.CONNECTED, Verdict.CONNECTED_WITH_WARNINGS)
        assert gateway.controls(shared_desk.owner_id).pause_of(c.ref.binding_id) is None
        placed = await gateway.place_order(c.ref, resting_intent(Market.SPOT, bot="bot-b"))
    assert [o["client_order_id"] for o in shared_desk.exchange_orders(c)] == [placed.client_order_id]


async def test_a_failed_recheck_keeps_the_binding_paused(shared_desk: Desk, account: str) -> None:
    c = shared_desk.connect("bybit", Market.SPOT, account)
    async with shared_desk.gateway() as gateway:
        shared_desk.control.delete_key(c.api_key)
        with pytest.raises(BindingPaused):
            await gateway.balance(c.ref)
        report = await gateway.recheck(c.ref)
        assert report.decision.verdict is Verdict.INVALID_KEY
        with pytest.raises(BindingPaused):
            await gateway.balance(c.ref)


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_a_request_whose_record_cannot_be_written_fails(shared_desk: Desk, account: str, exchange: str) -> None:
    c = shared_desk.connect(exchange, Market.SPOT, account)
    # A sink that commits each record before the request goes on (the request journal's own
    # failure to write is in test_records).
    sink = ActivityRequestSink(shared_desk.store, power_safe=True)
    async with shared_desk.gateway(read_ttl_s=0, sink=sink) as gateway:
        await gateway.balance(c.ref)  # the key is open; from here on only request records are written
        with shared_desk.store.write() as session:
            session.execute(text("DROP TABLE activity_heads"))
        with pytest.raises(GatewayError, match="could not be recorded, so its result was not used"):
            await gateway.balance(c.ref)
        with pytest.raises(GatewayError, match="could not be recorded"):
            await gateway.place_order(c.ref, resting_intent(Market.SPOT))


async def test_orders_key_replacement_and_records_on_each_store_backend(backend_desk: Desk, account: str) -> None:
    c = backend_desk.connect("okx", Market.SPOT, account)
    async with backend_desk.gateway() as gateway:
        first = await gateway.place_order(c.ref, resting_intent(Market.SPOT))
        backend_desk.replace_key(c)
        again = await gateway.place_order(c.ref, resting_intent(Market.SPOT))
        second = await gateway.place_order(c.ref, resting_intent(Market.SPOT, step="so1"))
    assert again.exchange_order_id == first.exchange_order_id
    assert len(backend_desk.exchange_orders(c)) == 2
    versions = [(r.purpose.split()[1], r.details["version"]) for r in backend_desk.records()]
    assert versions[0] == ("place", 1)
    assert ("place", 2) in versions
    assert {r.result for r in backend_desk.records()} == {"ok"}
    assert second.client_order_id != first.client_order_id
    checked, broken = verify(backend_desk.store)
    assert broken is None
    assert checked > 0
