"""Trading on a Bybit unified account through ccxt: orders, fills with fees, positions, leverage.

Every test pins prices on a sandbox of its own, so each figure below is exact arithmetic:
spot fees are 0.1% of what is received, perpetual fees 0.055% (taker) / 0.02% (maker) of notional.
"""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from tests.integration.sandbox_bybit.conftest import BybitDesk
from tests.support.drivers import Driver

approx = pytest.approx


def _wallet(client: Driver) -> dict[str, Any]:
    """The raw unified wallet ccxt fetched (``/v5/account/wallet-balance``)."""
    balance = client.fetch_balance()
    return balance["info"]["result"]["list"][0]  # type: ignore[no-any-return]


def _setup(desk: BybitDesk, usdt: str = "10000", btc: str = "65000") -> Driver:
    desk.control.set_price("bybit", "BTC/USDT", btc)
    desk.control.set_price("bybit", "ETH/USDT", "3200")
    client = desk.trader(usdt)
    client.load_markets()
    return client


def test_spot_round_trip_balances_add_up_with_fees(fresh_desk: BybitDesk) -> None:
    client = _setup(fresh_desk)
    bought = client.create_order("BTC/USDT", "market", "buy", 0.01)
    order = client.fetch_order(bought["id"], "BTC/USDT", {"acknowledged": True})
    assert (order["status"], order["filled"], order["average"]) == ("closed", 0.01, 65000)
    assert order["fee"] == {"cost": approx(0.00001), "currency": "BTC"}
    balance = client.fetch_balance()
    assert balance["USDT"]["total"] == approx(9350)
    assert balance["BTC"]["total"] == approx(0.00999)

    resting = client.create_order("BTC/USDT", "limit", "buy", 0.01, 60000, {"clientOrderId": "dip-buy"})
    balance = client.fetch_balance()
    assert balance["USDT"]["used"] == approx(600)
    assert balance["USDT"]["free"] == approx(8750)
    assert float(_wallet(client)["totalAvailableBalance"]) == approx(8750)

    fresh_desk.control.set_price("bybit", "BTC/USDT", "59000")
    filled = client.fetch_order(resting["id"], "BTC/USDT", {"acknowledged": True})
    assert (filled["status"], filled["average"], filled["clientOrderId"]) == ("closed", 60000, "dip-buy")
    balance = client.fetch_balance()
    assert balance["USDT"]["total"] == approx(8750)
    assert balance["USDT"]["used"] == 0
    assert balance["BTC"]["total"] == approx(0.01998)

    client.create_order("BTC/USDT", "market", "sell", 0.01998)
    proceeds = 0.01998 * 59000 * (1 - 0.001)
    assert client.fetch_balance()["USDT"]["total"] == approx(8750 + proceeds)
    assert float(_wallet(client)["totalEquity"]) == approx(8750 + proceeds)


def test_spot_market_buy_by_cost_spends_quote(fresh_desk: BybitDesk) -> None:
    client = _setup(fresh_desk)
    order = client.create_market_buy_order_with_cost("BTC/USDT", 650)
    assert client.fetch_order(order["id"], "BTC/USDT", {"acknowledged": True})["filled"] == approx(0.01)
    assert client.fetch_balance()["USDT"]["total"] == approx(9350)


def test_losing_position_reduces_available_balance(fresh_desk: BybitDesk) -> None:
    client = _setup(fresh_desk)
    client.set_leverage(10, "BTC/USDT:USDT")
    client.create_order("BTC/USDT:USDT", "market", "buy", 0.1)
    fee_open = 6500 * 0.00055
    wallet = _wallet(client)
    assert float(wallet["totalWalletBalance"]) == approx(10000 - fee_open)
    assert float(wallet["totalInitialMargin"]) == approx(650)
    assert float(wallet["totalAvailableBalance"]) == approx(10000 - fee_open - 650)

    fresh_desk.control.set_price("bybit", "BTC/USDT", "60000")
    [position] = client.fetch_positions()
    assert (position["symbol"], position["side"], position["contracts"]) == ("BTC/USDT:USDT", "long", 0.1)
    assert (position["entryPrice"], position["leverage"]) == (65000, 10)
    assert position["unrealizedPnl"] == approx(-500)
    assert position["initialMargin"] == approx(600)
    wallet = _wallet(client)
    assert float(wallet["totalPerpUPL"]) == approx(-500)
    assert float(wallet["totalMarginBalance"]) == approx(10000 - fee_open - 500)
    assert float(wallet["totalAvailableBalance"]) == approx(10000 - fee_open - 500 - 600)
    usdt = next(c for c in wallet["coin"] if c["coin"] == "USDT")
    assert float(usdt["unrealisedPnl"]) == approx(-500)
    assert float(usdt["totalPositionIM"]) == approx(600)

    client.create_order("BTC/USDT:USDT", "market", "sell", 0.1, None, {"reduceOnly": True})
    assert client.fetch_positions() == []
    wallet = _wallet(client)
    closed = 10000 - fee_open - 500 - 6000 * 0.00055
    assert float(wallet["totalWalletBalance"]) == approx(closed)
    assert float(wallet["totalAvailableBalance"]) == approx(closed)


def test_leverage_sets_the_margin_a_position_holds(fresh_desk: BybitDesk) -> None:
    client = _setup(fresh_desk)
    client.set_leverage(5, "ETH/USDT:USDT")
    client.create_order("ETH/USDT:USDT", "market", "sell", 1)
    [position] = client.fetch_positions(["ETH/USDT:USDT"])
    assert (position["side"], position["leverage"], position["initialMargin"]) == ("short", 5, approx(640))
    client.set_leverage(20, "ETH/USDT:USDT")
    assert client.fetch_positions(["ETH/USDT:USDT"])[0]["initialMargin"] == approx(160)


def test_resting_linear_order_reserves_order_margin_until_cancelled(fresh_desk: BybitDesk) -> None:
    client = _setup(fresh_desk)
    client.set_leverage(10, "BTC/USDT:USDT")
    order = client.create_order("BTC/USDT:USDT", "limit", "buy", 0.1, 60000)
    usdt = next(c for c in _wallet(client)["coin"] if c["coin"] == "USDT")
    assert float(usdt["totalOrderIM"]) == approx(600)
    assert client.fetch_balance()["USDT"]["free"] == approx(9400)
    cancelled = client.cancel_order(order["id"], "BTC/USDT:USDT")
    assert cancelled["id"] == order["id"]
    assert client.fetch_order(order["id"], "BTC/USDT:USDT", {"acknowledged": True})["status"] == "canceled"
    assert float(_wallet(client)["totalAvailableBalance"]) == approx(10000)


def test_orders_are_found_by_id_and_by_order_link_id(desk: BybitDesk) -> None:
    client = desk.trader()
    spot = client.create_order("BTC/USDT", "limit", "buy", 0.001, 1000, {"clientOrderId": "spot-1"})
    linear = client.create_order("BTC/USDT:USDT", "limit", "buy", 0.001, 10000, {"clientOrderId": "perp-1"})
    assert (spot["clientOrderId"], linear["clientOrderId"]) == ("spot-1", "perp-1")

    by_id = client.fetch_order(linear["id"], "BTC/USDT:USDT", {"acknowledged": True})
    assert (by_id["clientOrderId"], by_id["status"], by_id["price"]) == ("perp-1", "open", 10000)
    [by_link] = client.fetch_open_orders("BTC/USDT", None, None, {"orderLinkId": "spot-1"})
    assert by_link["id"] == spot["id"]
    with pytest.raises(ccxt.ArgumentsRequired):
        client.fetch_order(spot["id"], "BTC/USDT")  # ccxt asks UTA users to acknowledge the 500-order window

    # Without a symbol ccxt asks for linear USDT orders; spot needs its symbol (or category).
    assert [o["id"] for o in client.fetch_open_orders()] == [linear["id"]]
    assert [o["id"] for o in client.fetch_open_orders("BTC/USDT")] == [spot["id"]]

    client.cancel_order(None, "BTC/USDT", {"orderLinkId": "spot-1"})
    assert client.fetch_open_orders("BTC/USDT") == []
    # A closed order is still found by its link id, with its final status.
    [done] = client.fetch_open_orders("BTC/USDT", None, None, {"orderLinkId": "spot-1"})
    assert done["status"] == "canceled"


def test_history_and_my_trades_show_fills_with_fees(fresh_desk: BybitDesk) -> None:
    client = _setup(fresh_desk)
    assert client.fetch_ticker("BTC/USDT")["last"] == 65000
    assert client.fetch_ticker("BTC/USDT:USDT")["markPrice"] == 65000
    spot = client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "hist-spot"})
    perp = client.create_order("BTC/USDT:USDT", "market", "sell", 0.1)
    resting = client.create_order("ETH/USDT", "limit", "buy", 0.1, 3000)
    client.cancel_order(resting["id"], "ETH/USDT")

    [closed] = client.fetch_closed_orders("BTC/USDT")
    assert (closed["id"], closed["clientOrderId"], closed["status"]) == (spot["id"], "hist-spot", "closed")
    [canceled] = client.fetch_canceled_orders("ETH/USDT")
    assert canceled["id"] == resting["id"]

    [spot_fill] = client.fetch_my_trades("BTC/USDT")
    assert (spot_fill["order"], spot_fill["side"], spot_fill["takerOrMaker"]) == (spot["id"], "buy", "taker")
    assert spot_fill["fee"]["currency"] == "BTC"
    assert spot_fill["fee"]["cost"] == approx(0.00001)
    [perp_fill] = client.fetch_my_trades("BTC/USDT:USDT")
    assert (perp_fill["order"], perp_fill["side"], perp_fill["price"]) == (perp["id"], "sell", 65000)
    assert perp_fill["fee"] == {"cost": approx(6500 * 0.00055), "currency": "USDT", "rate": approx(0.00055)}
