"""Linear positions net one way: increase, reduce with realised PnL, flip; reduce-only orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradebind.sandbox.core import ErrorKind, Order, OrderStatus, OrderType, SandboxError, Side, Venue

from .venues import PAIR, PERP, make_venue

D = Decimal


@pytest.fixture
def venue() -> Venue:
    v = make_venue()
    v.deposit("alice", "futures", "USDT", D("100000"))
    return v


def _trade(venue: Venue, side: Side, qty: str, price: str, cid: str, *, reduce_only: bool = False) -> Order:
    venue.set_price(PAIR, D(price))
    return venue.place_order("alice", PERP, side, OrderType.MARKET, D(qty), None, cid, reduce_only=reduce_only)


def test_adding_to_a_position_averages_the_entry(venue: Venue) -> None:
    _trade(venue, Side.BUY, "0.1", "50000", "a")
    _trade(venue, Side.BUY, "0.1", "52000", "b")
    pos = venue.account("alice").position(PERP)
    assert (pos.qty, pos.entry_price, pos.realised_pnl) == (D("0.2"), D("51000"), D(0))


def test_reducing_realises_pnl_into_the_wallet(venue: Venue) -> None:
    _trade(venue, Side.BUY, "0.2", "51000", "a")
    wallet_before = venue.account("alice").balance("futures", "USDT").free
    sell = _trade(venue, Side.SELL, "0.1", "53000", "b")
    pos = venue.account("alice").position(PERP)
    assert (pos.qty, pos.entry_price) == (D("0.1"), D("51000"))
    assert sell.fills[0].realised_pnl == D("200")
    fee = D("0.1") * D("53000") * D("0.0005")
    assert venue.account("alice").balance("futures", "USDT").free == wallet_before + D("200") - fee


def test_selling_past_zero_flips_the_position_at_the_fill_price(venue: Venue) -> None:
    _trade(venue, Side.BUY, "0.1", "51000", "a")
    flip = _trade(venue, Side.SELL, "0.3", "50000", "b")
    pos = venue.account("alice").position(PERP)
    assert (pos.qty, pos.entry_price) == (D("-0.2"), D("50000"))
    assert flip.fills[0].realised_pnl == D("-100")  # only the closed 0.1 realises


def test_closing_flat_clears_the_entry(venue: Venue) -> None:
    _trade(venue, Side.SELL, "0.1", "50000", "a")
    _trade(venue, Side.BUY, "0.1", "49000", "b")
    pos = venue.account("alice").position(PERP)
    assert (pos.qty, pos.entry_price, pos.realised_pnl) == (D(0), D(0), D("100"))
    assert venue.account("alice").open_positions() == []


def test_reduce_only_without_a_position_is_rejected(venue: Venue) -> None:
    with pytest.raises(SandboxError) as err:
        _trade(venue, Side.SELL, "0.1", "50000", "a", reduce_only=True)
    assert err.value.kind is ErrorKind.REDUCE_ONLY_REJECTED


def test_reduce_only_larger_than_the_position_is_rejected(venue: Venue) -> None:
    _trade(venue, Side.BUY, "0.1", "50000", "a")
    with pytest.raises(SandboxError) as err:
        _trade(venue, Side.SELL, "0.2", "50000", "b", reduce_only=True)
    assert err.value.kind is ErrorKind.REDUCE_ONLY_REJECTED


def test_reduce_only_in_the_same_direction_is_rejected(venue: Venue) -> None:
    _trade(venue, Side.BUY, "0.1", "50000", "a")
    with pytest.raises(SandboxError) as err:
        _trade(venue, Side.BUY, "0.1", "50000", "b", reduce_only=True)
    assert err.value.kind is ErrorKind.REDUCE_ONLY_REJECTED


def test_reduce_only_closes_without_new_margin(venue: Venue) -> None:
    _trade(venue, Side.BUY, "0.1", "50000", "a")
    close = _trade(venue, Side.SELL, "0.1", "50000", "b", reduce_only=True)
    assert close.status is OrderStatus.FILLED
    assert venue.account("alice").position(PERP).qty == 0


def test_resting_reduce_only_is_canceled_when_its_position_is_gone_before_it_fills(venue: Venue) -> None:
    _trade(venue, Side.BUY, "0.1", "50000", "a")
    take_profit = venue.place_order(
        "alice", PERP, Side.SELL, OrderType.LIMIT, D("0.1"), D("55000"), "tp", reduce_only=True
    )
    _trade(venue, Side.SELL, "0.1", "50000", "close")
    venue.set_price(PAIR, D("56000"))
    assert take_profit.status is OrderStatus.CANCELED
    assert venue.account("alice").position(PERP).qty == 0


def test_position_beyond_the_margin_is_refused(venue: Venue) -> None:
    # 100,000 USDT at 10x carries at most about 1,000,000 of notional: 20 BTC at 50,000.
    with pytest.raises(SandboxError) as err:
        _trade(venue, Side.BUY, "21", "50000", "a")
    assert err.value.kind is ErrorKind.INSUFFICIENT_BALANCE


def test_leverage_must_be_within_the_instrument_range(venue: Venue) -> None:
    assert venue.set_leverage("alice", PERP, 100) == 100
    with pytest.raises(SandboxError) as err:
        venue.set_leverage("alice", PERP, 101)
    assert err.value.kind is ErrorKind.BAD_PARAMETER
