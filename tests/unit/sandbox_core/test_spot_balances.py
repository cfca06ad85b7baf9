"""Spot balances after buys and sells: quote and base move by notional and fee, nothing else."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradebind.sandbox.core import ErrorKind, OrderType, SandboxError, Side

from .venues import SPOT, make_venue

D = Decimal


def test_buy_then_sell_adds_up_with_fees() -> None:
    venue = make_venue()
    venue.deposit("alice", "spot", "USDT", D("1000"))
    buy = venue.place_order("alice", SPOT, Side.BUY, OrderType.MARKET, D("0.01"), None, "buy")
    acct = venue.account("alice")
    # 500 USDT paid; the 0.1% fee is taken from the BTC received.
    assert acct.balance("spot", "USDT").free == D("500")
    assert acct.balance("spot", "BTC").free == D("0.00999")
    assert (buy.fills[0].fee, buy.fills[0].fee_asset) == (D("0.00001"), "BTC")

    sell = venue.place_order("alice", SPOT, Side.SELL, OrderType.MARKET, D("0.00999"), None, "sell")
    # 499.5 USDT received minus the 0.4995 USDT fee.
    assert acct.balance("spot", "USDT").free == D("999.0005")
    assert acct.balance("spot", "BTC").total == 0
    assert (sell.fills[0].fee, sell.fills[0].fee_asset) == (D("0.4995"), "USDT")


def test_resting_buy_locks_the_quote_at_its_price_and_fills_without_residue() -> None:
    venue = make_venue()
    venue.deposit("alice", "spot", "USDT", D("1000"))
    order = venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("48000"), "rest")
    usdt = venue.account("alice").balance("spot", "USDT")
    assert (usdt.free, usdt.locked) == (D("520"), D("480"))
    venue.set_price("BTC/USDT", D("47000"))
    assert order.fills
    assert (usdt.free, usdt.locked) == (D("520"), D(0))


def test_resting_sell_locks_the_base() -> None:
    venue = make_venue()
    venue.deposit("alice", "spot", "BTC", D("0.5"))
    venue.place_order("alice", SPOT, Side.SELL, OrderType.LIMIT, D("0.2"), D("60000"), "rest")
    btc = venue.account("alice").balance("spot", "BTC")
    assert (btc.free, btc.locked) == (D("0.3"), D("0.2"))


def test_buying_more_than_the_free_quote_is_refused_and_changes_nothing() -> None:
    venue = make_venue()
    venue.deposit("alice", "spot", "USDT", D("100"))
    with pytest.raises(SandboxError) as err:
        venue.place_order("alice", SPOT, Side.BUY, OrderType.MARKET, D("0.01"), None, "big")
    assert err.value.kind is ErrorKind.INSUFFICIENT_BALANCE
    assert venue.account("alice").balance("spot", "USDT").free == D("100")
    assert venue.orders_of("alice") == []


def test_spot_trades_from_the_spot_wallet_only() -> None:
    venue = make_venue()
    venue.deposit("alice", "funding", "USDT", D("1000"))
    with pytest.raises(SandboxError) as err:
        venue.place_order("alice", SPOT, Side.BUY, OrderType.MARKET, D("0.001"), None, "a")
    assert err.value.kind is ErrorKind.INSUFFICIENT_BALANCE
