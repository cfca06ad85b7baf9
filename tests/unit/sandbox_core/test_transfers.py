"""Transfers between one's own wallets never move more than is transferable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradebind.sandbox.core import ErrorKind, OrderType, SandboxError, Side, Venue

from .venues import PAIR, PERP, make_venue

D = Decimal


def _with_long(mark: str) -> Venue:
    venue = make_venue()
    venue.deposit("alice", "futures", "USDT", D("1000"))
    venue.set_leverage("alice", PERP, 5)
    venue.place_order("alice", PERP, Side.BUY, OrderType.MARKET, D("0.05"), None, "long")  # fee 1.25
    venue.set_price(PAIR, D(mark))
    return venue


def _refused(venue: Venue, amount: str) -> None:
    with pytest.raises(SandboxError) as err:
        venue.transfer("alice", "USDT", D(amount), "futures", "spot")
    assert err.value.kind is ErrorKind.INSUFFICIENT_BALANCE


def test_a_losing_position_lowers_what_can_leave() -> None:
    venue = _with_long("48000")  # upnl -100, IM 480
    transferable = venue.margin(venue.account("alice"), "futures").transferable
    assert transferable == D("418.75")  # 998.75 - 100 - 480
    _refused(venue, "418.76")
    venue.transfer("alice", "USDT", transferable, "futures", "spot")
    assert venue.account("alice").balance("spot", "USDT").free == transferable


def test_unrealised_profit_cannot_be_transferred() -> None:
    venue = _with_long("52000")  # upnl +100, IM 520
    m = venue.margin(venue.account("alice"), "futures")
    assert m.available == D("578.75")
    assert m.transferable == D("478.75")
    _refused(venue, "478.76")


def test_spot_locks_cannot_be_transferred() -> None:
    venue = make_venue()
    venue.deposit("alice", "spot", "USDT", D("1000"))
    venue.place_order("alice", "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.01"), D("40000"), "rest")
    with pytest.raises(SandboxError) as err:
        venue.transfer("alice", "USDT", D("600.01"), "spot", "funding")
    assert err.value.kind is ErrorKind.INSUFFICIENT_BALANCE
    venue.transfer("alice", "USDT", D("600"), "spot", "funding")


@pytest.mark.parametrize(
    ("amount", "source", "target"),
    [("0", "spot", "futures"), ("-1", "spot", "futures"), ("1", "spot", "spot"), ("1", "spot", "margin")],
)
def test_malformed_transfers_are_bad_parameters(amount: str, source: str, target: str) -> None:
    venue = make_venue()
    venue.deposit("alice", "spot", "USDT", D("10"))
    with pytest.raises(SandboxError) as err:
        venue.transfer("alice", "USDT", D(amount), source, target)
    assert err.value.kind is ErrorKind.BAD_PARAMETER
    assert venue.account("alice").balance("spot", "USDT").free == D("10")
