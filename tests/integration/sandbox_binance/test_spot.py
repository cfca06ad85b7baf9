"""Spot trading through ccxt: fills, fees, locks, client order ids and Binance's rejections."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from tests.support.drivers import Driver

from .conftest import BinanceDesk, binance_error, signed

D = Decimal
EIGHT = Decimal("0.00000001")


def spot_balances(client: Driver) -> dict[str, tuple[Decimal, Decimal]]:
    """Free and locked per asset, exactly as Binance sent them."""
    info = client.fetch_balance()["info"]
    return {b["asset"]: (D(b["free"]), D(b["locked"])) for b in info["balances"]}


def test_market_buy_then_sell_balances_add_up_with_fees(desk: BinanceDesk) -> None:
    client = desk.trader(spot_usdt="10000", futures_usdt="0")
    buy = client.create_order("BTC/USDT", "market", "buy", 0.01)
    assert buy["status"] == "closed"
    assert buy["filled"] == 0.01
    headers = client.client.last_response_headers
    assert int(headers["X-MBX-ORDER-COUNT-10S"]) >= 1
    assert int(headers["X-MBX-ORDER-COUNT-1D"]) >= 1
    fill = buy["info"]["fills"][0]
    cost = D(buy["info"]["cummulativeQuoteQty"])
    assert cost == D(fill["price"]) * D("0.01")
    assert (fill["commission"], fill["commissionAsset"]) == ("0.00001000", "BTC")  # 0.1% taker, in what was bought
    after_buy = spot_balances(client)
    assert after_buy["USDT"] == (D(10000) - cost, D(0))
    assert after_buy["BTC"] == (D("0.00999"), D(0))

    sell = client.create_order("BTC/USDT", "market", "sell", 0.00999)
    sell_fill = sell["info"]["fills"][0]
    proceeds = D(sell_fill["price"]) * D("0.00999")
    # Spot shows amounts with 8 decimals; the account keeps the exact fee.
    assert D(sell_fill["commission"]) == (proceeds * D("0.001")).quantize(EIGHT)
    assert sell_fill["commissionAsset"] == "USDT"
    after_sell = spot_balances(client)
    assert after_sell["BTC"] == (D(0), D(0))
    assert after_sell["USDT"][0] == (D(10000) - cost + proceeds * D("0.999")).quantize(EIGHT)
    trades = client.fetch_my_trades("BTC/USDT")
    assert [(t["side"], t["takerOrMaker"], t["fee"]["currency"]) for t in trades] == [
        ("buy", "taker", "BTC"),
        ("sell", "taker", "USDT"),
    ]


def test_limit_order_locks_funds_until_cancelled_and_is_found_by_both_ids(desk: BinanceDesk) -> None:
    client = desk.trader(spot_usdt="1000", futures_usdt="0")
    order = client.create_order("BTC/USDT", "limit", "buy", 0.01, 1000, {"clientOrderId": "grid-1_a"})
    assert order["status"] == "open"
    assert order["clientOrderId"] == "grid-1_a"
    assert spot_balances(client)["USDT"] == (D(990), D(10))
    assert [o["id"] for o in client.fetch_open_orders("BTC/USDT")] == [order["id"]]
    assert client.fetch_order(order["id"], "BTC/USDT")["clientOrderId"] == "grid-1_a"
    by_client_id = client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "grid-1_a"})
    assert by_client_id["id"] == order["id"]

    with pytest.raises(ccxt.InvalidOrder) as caught:
        client.create_order("BTC/USDT", "limit", "buy", 0.01, 1000, {"clientOrderId": "grid-1_a"})
    assert binance_error(caught.value) == {"code": -2010, "msg": "Duplicate order sent."}

    cancelled = client.cancel_order(None, "BTC/USDT", {"origClientOrderId": "grid-1_a"})
    assert cancelled["status"] == "canceled"
    assert spot_balances(client)["USDT"] == (D(1000), D(0))
    assert client.fetch_open_orders("BTC/USDT") == []
    # Unique among open orders only: the id is free again once its order closed.
    again = client.create_order("BTC/USDT", "limit", "buy", 0.01, 1000, {"clientOrderId": "grid-1_a"})
    assert again["id"] != order["id"]
    assert client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "grid-1_a"})["id"] == again["id"]


def test_resting_limit_fills_as_maker_when_the_price_crosses(fresh_desk: BinanceDesk) -> None:
    fresh_desk.set_price("BTC/USDT", "65000")
    client = fresh_desk.trader(spot_usdt="1000", futures_usdt="0")
    order = client.create_order("BTC/USDT", "limit", "buy", 0.01, 64000)
    assert order["status"] == "open"
    fresh_desk.set_price("BTC/USDT", "63990")
    filled = client.fetch_order(order["id"], "BTC/USDT")
    assert (filled["status"], filled["average"], filled["filled"]) == ("closed", 64000, 0.01)
    (trade,) = client.fetch_my_trades("BTC/USDT")
    assert (trade["takerOrMaker"], trade["price"], trade["fee"]["cost"]) == ("maker", 64000, 0.00001)
    assert spot_balances(client) == {"BTC": (D("0.00999"), D(0)), "ETH": (D(0), D(0)), "USDT": (D(360), D(0))}


BAD_QUANTITY = "Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."
BAD_CLIENT_ID = "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'."
REJECTIONS: dict[str, tuple[dict[str, Any], type[Exception], int, str]] = {
    "lot size": ({"quantity": "0.000015", "price": "60000"}, ccxt.InvalidOrder, -1013, "Filter failure: LOT_SIZE"),
    "tick size": ({"price": "60000.005"}, ccxt.InvalidOrder, -1013, "Filter failure: PRICE_FILTER"),
    "min notional": ({"quantity": "0.00001", "price": "1000"}, ccxt.BadRequest, -1013, "Filter failure: NOTIONAL"),
    "unknown symbol": ({"symbol": "DOGEUSDT"}, ccxt.BadSymbol, -1121, "Invalid symbol."),
    "no price": ({"price": None}, ccxt.BadRequest, -1102,
                 "Mandatory parameter 'price' was not sent, was empty/null, or malformed."),
    "bad quantity": ({"quantity": "1e-3"}, ccxt.BadRequest, -1100, BAD_QUANTITY),
    "bad client id": ({"newClientOrderId": "has space"}, ccxt.BadRequest, -1100, BAD_CLIENT_ID),
    "client id too long": ({"newClientOrderId": "x" * 37}, ccxt.BadRequest, -1100, BAD_CLIENT_ID),
    "insufficient balance": ({"quantity": "1"}, ccxt.InsufficientFunds, -2010,
                             "Account has insufficient balance for requested action."),
}  # fmt: skip


@pytest.mark.parametrize("case", REJECTIONS.keys())
def test_order_rejections(desk: BinanceDesk, case: str) -> None:
    change, error_class, code, msg = REJECTIONS[case]
    client = desk.trader(spot_usdt="1000", futures_usdt="0")
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
              "price": "60000", "newClientOrderId": "case-1"}  # fmt: skip
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(error_class) as caught:
        client.private_post_order(params)
    assert binance_error(caught.value, client) == {"code": code, "msg": msg}
    assert desk.control.orders("binance", desk.account) == []
    assert spot_balances(client)["USDT"] == (D(1000), D(0))


def test_a_36_character_client_id_is_accepted(desk: BinanceDesk) -> None:
    client = desk.trader(spot_usdt="1000", futures_usdt="0")
    order = client.create_order("BTC/USDT", "limit", "buy", 0.01, 1000, {"clientOrderId": "A-_9" * 9})
    assert order["clientOrderId"] == "A-_9" * 9


def test_without_a_client_id_binance_generates_one(desk: BinanceDesk) -> None:
    desk.control.deposit("binance", desk.account, "spot", "USDT", "100")
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
              "price": "10000"}  # fmt: skip
    resp = signed(desk, "POST", "/api/v3/order", params, desk.key())
    assert resp.status_code == 200, resp.text
    assert re.fullmatch(r"[A-Za-z0-9]{22}", resp.json()["clientOrderId"])
    assert resp.json()["fills"] == []
    assert int(resp.headers["X-MBX-USED-WEIGHT-1M"]) >= 1


def test_unknown_and_closed_orders(desk: BinanceDesk) -> None:
    client = desk.trader(spot_usdt="1000", futures_usdt="0")
    client.load_markets()
    with pytest.raises(ccxt.OrderNotFound) as caught:
        client.fetch_order("1", "BTC/USDT")
    assert binance_error(caught.value) == {"code": -2013, "msg": "Order does not exist."}
    with pytest.raises(ccxt.OrderNotFound) as caught:
        client.cancel_order("1", "BTC/USDT")
    assert binance_error(caught.value) == {"code": -2011, "msg": "Unknown order sent."}
    filled = client.create_order("BTC/USDT", "market", "buy", 0.001)
    with pytest.raises(ccxt.OrderNotFound) as caught:
        client.cancel_order(filled["id"], "BTC/USDT")
    assert binance_error(caught.value)["code"] == -2011


def test_trading_disabled_on_the_account(desk: BinanceDesk) -> None:
    client = desk.trader(spot_usdt="1000", futures_usdt="1000")
    open_order = client.create_order("BTC/USDT", "limit", "buy", 0.01, 1000)
    desk.control.set_trading("binance", desk.account, enabled=False)
    # ccxt 4.5.90 (Python) maps this message to InvalidOrder, not AccountSuspended (exchanges.md §1.7).
    for symbol, price in (("BTC/USDT", 1000), ("BTC/USDT:USDT", 20000)):
        with pytest.raises(ccxt.InvalidOrder) as caught:
            client.create_order(symbol, "limit", "buy", 0.01, price)
        assert binance_error(caught.value) == {"code": -2010, "msg": "This action is disabled on this account."}
    with pytest.raises(ccxt.OrderNotFound) as caught:
        client.cancel_order(open_order["id"], "BTC/USDT")
    assert binance_error(caught.value) == {"code": -2011, "msg": "This action is disabled on this account."}
    assert client.sapi_get_account_status()["data"] != "Normal"
    assert client.fetch_balance()["info"]["canTrade"] is False
    desk.control.set_trading("binance", desk.account, enabled=True)
    assert client.sapi_get_account_status() == {"data": "Normal"}
    assert client.cancel_order(open_order["id"], "BTC/USDT")["status"] == "canceled"
