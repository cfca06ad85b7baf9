"""Nothing but :class:`GatewayError` leaves the gateway: faults during a fresh session's first
request (markets not loaded yet, Binance's exchangeInfo not read yet) are retried like any other
request's, and reported as gateway errors when they outlast the retry time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.gateway.support import EXCHANGES, Desk, resting_intent
from tradebind.domain.market import Market
from tradebind.gateway.api import BindingNotFound, BindingRef, GatewayError, OrderState
from tradebind.store import NotFound, OwnerDirectory


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_maintenance_during_a_fresh_sessions_first_request_is_backed_off(
    fresh_desk: Desk, account: str, exchange: str
) -> None:
    c = fresh_desk.connect(exchange, Market.SPOT, account)
    fresh_desk.control.fault(exchange, "maintenance", count=2)
    async with fresh_desk.gateway() as gateway:  # nothing loaded yet: the first request loads markets
        placed = await gateway.place_order(c.ref, resting_intent(Market.SPOT))
    assert placed.state is OrderState.OPEN
    assert fresh_desk.control.faults(exchange) == []  # both maintenance answers were met and waited out
    assert [o["client_order_id"] for o in fresh_desk.exchange_orders(c)] == [placed.client_order_id]


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_maintenance_outlasting_the_retry_time_is_a_gateway_error(
    fresh_desk: Desk, account: str, exchange: str
) -> None:
    c = fresh_desk.connect(exchange, Market.SPOT, account)
    fresh_desk.control.fault(exchange, "maintenance")
    async with fresh_desk.gateway(retry_for_s=1.0) as gateway:
        with pytest.raises(GatewayError) as raised:
            await gateway.place_order(c.ref, resting_intent(Market.SPOT))
        with pytest.raises(GatewayError):
            await gateway.balance(c.ref)
    assert type(raised.value).__module__.startswith("tradebind.")
    assert fresh_desk.exchange_orders(c) == []


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_a_timeout_while_a_fresh_session_loads_markets_is_retried(
    fresh_desk: Desk, account: str, exchange: str
) -> None:
    c = fresh_desk.connect(exchange, Market.SPOT, account)
    fresh_desk.control.fault(exchange, "latency", ms=1500, count=1)
    async with fresh_desk.gateway(timeout_ms=1000) as gateway:
        view = await gateway.balance(c.ref)
    assert view.available == Decimal(10000)
    assert fresh_desk.control.faults(exchange) == []  # the slow answer was met (and timed out)
    assert {r.result for r in fresh_desk.records()} == {"ok"}  # the signed read went out once, fine


async def test_a_binding_that_is_gone_is_a_gateway_error_and_not_found(shared_desk: Desk, account: str) -> None:
    c = shared_desk.connect("okx", Market.SPOT, account)
    mallory = BindingRef(OwnerDirectory(shared_desk.store).create("mallory").id, c.ref.binding_id)
    async with shared_desk.gateway() as gateway:
        for ref in (mallory, BindingRef(c.ref.owner_id, "no-such-binding")):
            with pytest.raises(BindingNotFound) as raised:
                await gateway.balance(ref)
            assert isinstance(raised.value, GatewayError)
            assert isinstance(raised.value, NotFound)
            assert raised.value.field == "binding_id"
