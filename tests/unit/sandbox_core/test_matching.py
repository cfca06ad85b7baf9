"""Matching: marketable orders fill at once as taker, resting limits fill at their price as maker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradebind.sandbox.core import ErrorKind, OrderStatus, OrderType, SandboxError, Side, Venue

from .venues import PAIR, SPOT, make_venue

D = Decimal


@pytest.fixture
def venue() -> Venue:
    v = make_venue()
    v.deposit("alice", "spot", "USDT", D("10000"))
    v.deposit("alice", "spot", "BTC", D("1"))
    return v


def test_marketable_limit_buy_fills_at_the_current_price_as_taker(venue: Venue) -> None:
    order = venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("51000"), "a")
    assert order.status is OrderStatus.FILLED
    assert order.avg_price == D("50000")
    assert not order.fills[0].is_maker


def test_market_order_fills_at_the_current_price(venue: Venue) -> None:
    order = venue.place_order("alice", SPOT, Side.SELL, OrderType.MARKET, D("0.01"), None, "a")
    assert (order.status, order.avg_price) == (OrderStatus.FILLED, D("50000"))


def test_limit_away_from_the_price_rests(venue: Venue) -> None:
    order = venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("49000"), "a")
    assert order.status is OrderStatus.NEW
    assert venue.open_orders("alice") == [order]


def test_resting_buy_fills_at_its_own_price_when_the_price_crosses(venue: Venue) -> None:
    order = venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("49000"), "a")
    venue.set_price(PAIR, D("49500"))
    assert venue.open_orders("alice") == [order]
    venue.set_price(PAIR, D("48000"))
    assert venue.find_order("alice", SPOT, order.order_id).status is OrderStatus.FILLED
    assert order.avg_price == D("49000")
    assert order.fills[0].is_maker
    assert venue.open_orders("alice") == []


def test_resting_sell_fills_when_the_price_rises_to_it(venue: Venue) -> None:
    order = venue.place_order("alice", SPOT, Side.SELL, OrderType.LIMIT, D("0.01"), D("52000"), "a")
    venue.set_price(PAIR, D("52000"))
    assert (order.status, order.avg_price) == (OrderStatus.FILLED, D("52000"))


@pytest.mark.parametrize("tif", ["IOC", "FOK"])
def test_immediate_or_cancel_that_cannot_fill_is_canceled_and_unlocks(venue: Venue, tif: str) -> None:
    order = venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("49000"), "a", time_in_force=tif)
    assert order.status is OrderStatus.CANCELED
    assert venue.account("alice").balance("spot", "USDT").locked == 0
    assert venue.account("alice").balance("spot", "USDT").free == D("10000")


def test_marketable_ioc_fills(venue: Venue) -> None:
    order = venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("50000"), "a", time_in_force="IOC")
    assert order.status is OrderStatus.FILLED


def test_canceling_a_filled_order_is_refused(venue: Venue) -> None:
    order = venue.place_order("alice", SPOT, Side.BUY, OrderType.MARKET, D("0.01"), None, "a")
    with pytest.raises(SandboxError) as err:
        venue.cancel_order("alice", SPOT, order.order_id)
    assert err.value.kind is ErrorKind.CANCEL_REJECTED


def test_orders_of_another_account_are_not_found(venue: Venue) -> None:
    order = venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("49000"), "a")
    with pytest.raises(SandboxError) as err:
        venue.find_order("bob", SPOT, order.order_id)
    assert err.value.kind is ErrorKind.ORDER_NOT_FOUND


@pytest.mark.parametrize(
    ("qty", "price", "reason"),
    [
        (D("0.000001"), D("49000"), "LOT_SIZE"),  # below the minimum
        (D("0.000015"), D("49000"), "LOT_SIZE"),  # not a multiple of the lot
        (D("0.01"), D("49000.005"), "PRICE_FILTER"),  # not a multiple of the tick
        (D("0.00001"), D("49000"), "NOTIONAL"),  # 0.49 USDT
    ],
)
def test_filters_refuse_what_the_instrument_does_not_allow(
    venue: Venue, qty: Decimal, price: Decimal, reason: str
) -> None:
    with pytest.raises(SandboxError) as err:
        venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, qty, price, "a")
    assert (err.value.kind, err.value.detail) == (ErrorKind.FILTER_FAILURE, reason)


def test_restricted_account_cannot_trade(venue: Venue) -> None:
    venue.account("alice").trading_enabled = False
    with pytest.raises(SandboxError) as err:
        venue.place_order("alice", SPOT, Side.BUY, OrderType.MARKET, D("0.01"), None, "a")
    assert err.value.kind is ErrorKind.ACCOUNT_RESTRICTED
