"""Margin figures of a futures wallet: available and transferable with positions and orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradebind.sandbox.core import MarginSummary, OrderType, Side
from tradebind.sandbox.core.margin import PositionFigures, summarise

from .venues import PAIR, PERP, SPOT, UNIFIED, make_venue

D = Decimal


def _long_position(mark: str) -> MarginSummary:
    """10,000 USDT, long 0.1 BTC bought at 50,000 (fee 2.5) at 10x, then the mark moves."""
    venue = make_venue()
    venue.deposit("alice", "futures", "USDT", D("10000"))
    venue.place_order("alice", PERP, Side.BUY, OrderType.MARKET, D("0.1"), None, "open-long")
    venue.set_price(PAIR, D(mark))
    return venue.margin(venue.account("alice"), "futures")


def test_losing_position_reduces_available_and_transferable_alike() -> None:
    m = _long_position("49000")
    assert m.wallet_balance == D("9997.5")
    assert m.unrealised_pnl == D("-100")
    assert m.position_initial_margin == D("490")  # 0.1 * 49,000 / 10
    assert m.available == D("9407.5")  # 9,997.5 - 100 - 490
    assert m.transferable == D("9407.5")


def test_winning_position_counts_for_available_but_never_for_transferable() -> None:
    m = _long_position("51000")
    assert m.unrealised_pnl == D("100")
    assert m.available == D("9587.5")  # 9,997.5 + 100 - 510
    assert m.transferable == D("9487.5")  # the 100 of profit stays until realised


def test_open_order_margin_is_held_back_from_available() -> None:
    venue = make_venue()
    venue.deposit("alice", "futures", "USDT", D("1000"))
    venue.place_order("alice", PERP, Side.BUY, OrderType.LIMIT, D("0.1"), D("40000"), "rest")
    m = venue.margin(venue.account("alice"), "futures")
    assert m.open_order_initial_margin == D("400")  # 0.1 * 40,000 / 10
    assert m.available == D("600")
    assert m.transferable == D("600")


def test_canceling_the_order_gives_its_margin_back() -> None:
    venue = make_venue()
    venue.deposit("alice", "futures", "USDT", D("1000"))
    order = venue.place_order("alice", PERP, Side.BUY, OrderType.LIMIT, D("0.1"), D("40000"), "rest")
    venue.cancel_order("alice", PERP, order.order_id)
    assert venue.margin(venue.account("alice"), "futures").available == D("1000")


def test_spot_orders_lock_funds_of_a_unified_wallet() -> None:
    venue = make_venue(UNIFIED)
    venue.deposit("alice", "unified", "USDT", D("1000"))
    venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("40000"), "spot-rest")
    m = venue.margin(venue.account("alice"), "unified")
    assert m.spot_locked == D("400")
    assert m.wallet_balance == D("1000")  # locked funds are still the wallet's
    assert m.available == D("600")
    assert m.transferable == D("600")


def test_figures_never_go_below_zero() -> None:
    underwater = PositionFigures(D("1"), D("1"), D("50000"), D("40000"), leverage=10)
    m = summarise("USDT", D("5000"), D("0"), [underwater], D("0"))
    assert m.margin_balance == D("-5000")
    assert m.available == 0
    assert m.transferable == 0


@pytest.mark.parametrize(("qty", "pnl"), [(D("2"), D("200")), (D("-2"), D("-200"))])
def test_unrealised_pnl_follows_the_side(qty: Decimal, pnl: Decimal) -> None:
    pos = PositionFigures(qty, D("0.5"), D("1000"), D("1200"), leverage=5)
    assert pos.unrealised_pnl == pnl
    assert pos.initial_margin == D("240")  # 2 * 0.5 * 1,200 / 5
