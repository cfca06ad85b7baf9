"""Spot and USDT-swap trading through ccxt, with balances that add up after fees and price moves.

Prices are pinned through the control API, so these tests use a sandbox of their own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt
import pytest
import requests

from tests.support.control import Control
from tests.support.drivers import Driver
from tradebind.sandbox.server import SandboxServer

from .conftest import DriverFactory, new_key

D = Decimal


@pytest.fixture
def trader(fresh_okx: DriverFactory, fresh_control: Control, account: str) -> Driver:
    """A client whose account holds 10,000 USDT in its trading account; BTC pinned at 50,000."""
    fresh_control.set_price("okx", "BTC/USDT", "50000")
    fresh_control.deposit("okx", account, "trading", "USDT", "10000")
    return fresh_okx(new_key(fresh_control, account))


def _detail(balance: dict[str, Any], ccy: str) -> dict[str, str]:
    details = balance["info"]["data"][0]["details"]
    return next(d for d in details if d["ccy"] == ccy)


def test_spot_market_round_trip_pays_taker_fees(trader: Driver) -> None:
    buy = trader.create_order("BTC/USDT", "market", "buy", 0.1)
    bought = trader.fetch_order(buy["id"], "BTC/USDT")
    assert (bought["status"], bought["filled"], bought["average"]) == ("closed", 0.1, 50000)
    assert bought["fee"] == {"cost": 0.0001, "currency": "BTC"}  # 0.1 % taker, charged in BTC on a buy
    trader.create_order("BTC/USDT", "market", "sell", 0.05)
    balance = trader.fetch_balance()
    assert D(_detail(balance, "BTC")["eq"]) == D("0.1") - D("0.0001") - D("0.05")
    assert D(_detail(balance, "USDT")["eq"]) == D("10000") - D("5000") + D("2500") - D("2.5")


def test_resting_limit_order_freezes_funds_until_canceled(trader: Driver, client_order_id: str) -> None:
    order = trader.create_order("BTC/USDT", "limit", "buy", 0.1, 40000, {"clientOrderId": client_order_id})
    assert order["clientOrderId"] == client_order_id
    frozen = trader.fetch_balance()
    assert frozen["USDT"] == {"free": 6000.0, "used": 4000.0, "total": 10000.0}
    assert _detail(frozen, "USDT")["ordFrozen"] == "4000"
    [listed] = trader.fetch_open_orders("BTC/USDT")
    assert (listed["id"], listed["status"], listed["price"]) == (order["id"], "open", 40000)
    by_client_id = trader.fetch_order(None, "BTC/USDT", {"clientOrderId": client_order_id})
    assert by_client_id["id"] == order["id"]
    canceled = trader.cancel_order(None, "BTC/USDT", {"clientOrderId": client_order_id})
    assert canceled["id"] == order["id"]
    assert trader.fetch_order(order["id"], "BTC/USDT")["status"] == "canceled"
    assert trader.fetch_open_orders() == []
    assert trader.fetch_balance()["USDT"] == {"free": 10000.0, "used": 0.0, "total": 10000.0}


def test_limit_order_fills_as_maker_when_the_price_crosses(
    trader: Driver, fresh_control: Control, account: str
) -> None:
    order = trader.create_order("BTC/USDT", "limit", "buy", 0.1, 40000)
    fresh_control.set_price("okx", "BTC/USDT", "39000")
    filled = trader.fetch_order(order["id"], "BTC/USDT")
    assert (filled["status"], filled["average"]) == ("closed", 40000)
    assert filled["fee"] == {"cost": 0.00008, "currency": "BTC"}  # 0.08 % maker
    balance = trader.fetch_balance()
    assert balance["USDT"]["total"] == 6000
    assert balance["BTC"]["total"] == pytest.approx(0.09992, abs=1e-12)


def test_client_order_id_is_unique_among_open_orders(trader: Driver, client_order_id: str) -> None:
    params = {"clientOrderId": client_order_id}
    first = trader.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, params)
    with pytest.raises(ccxt.InvalidOrder, match="51016"):
        trader.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, params)
    trader.cancel_order(first["id"], "BTC/USDT")
    again = trader.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, params)  # reusable once closed
    assert trader.fetch_order(None, "BTC/USDT", params)["id"] == again["id"] != first["id"]


@pytest.mark.parametrize(
    ("call", "error", "code"),
    [
        (lambda c: c.fetch_order("99999999", "BTC/USDT"), ccxt.OrderNotFound, "51603"),
        (lambda c: c.cancel_order("99999999", "BTC/USDT"), ccxt.OrderNotFound, "51603"),
        (lambda c: c.create_order("BTC/USDT", "market", "buy", 1), ccxt.InsufficientFunds, "51008"),
        (lambda c: c.create_order("BTC/USDT:USDT", "market", "buy", 10000), ccxt.InsufficientFunds, "51008"),
        (lambda c: c.create_order("BTC/USDT", "limit", "buy", 0.000001, 40000), ccxt.InvalidOrder, "51121"),
        (lambda c: c.create_order("BTC/USDT:USDT", "market", "sell", 1, None, {"reduceOnly": True}),
         ccxt.InvalidOrder, "51205"),
        (lambda c: c.set_leverage(101, "BTC/USDT:USDT"), ccxt.BadRequest, "51000"),
    ],
    ids=["fetch-unknown", "cancel-unknown", "spot-funds", "swap-margin", "min-size", "reduce-only", "leverage"],
)  # fmt: skip
def test_refusals_carry_okx_codes(trader: Driver, call: Any, error: type[Exception], code: str) -> None:
    with pytest.raises(error, match=code):
        call(trader)


def test_restricted_account_cannot_place_orders(trader: Driver, fresh_control: Control, account: str) -> None:
    fresh_control.set_trading("okx", account, False)
    with pytest.raises(ccxt.AccountSuspended, match="51024"):
        trader.create_order("BTC/USDT", "market", "buy", 0.01)


def test_single_order_endpoint_reports_per_item_codes(trader: Driver) -> None:
    body = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "market", "sz": "5"}
    with pytest.raises(ccxt.InsufficientFunds) as raised:
        trader.privatePostTradeOrder(body)
    assert '"code":"1","msg":"Operation failed."' in str(raised.value)
    assert '"sCode":"51008"' in str(raised.value)


def test_batch_with_one_bad_order_partly_succeeds(trader: Driver) -> None:
    good = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "px": "40000", "sz": "0.01"}
    bad = {**good, "sz": "5"}
    reply = trader.privatePostTradeBatchOrders([good, bad])
    assert reply["code"] == "2"
    assert [item["sCode"] for item in reply["data"]] == ["0", "51008"]
    assert len(trader.fetch_open_orders("BTC/USDT")) == 1


@pytest.mark.parametrize(
    ("mark", "upl", "avail_eq", "avail_bal"),
    [
        # 10 contracts x 0.01 BTC opened at 50,000 with 10x leverage; 2.5 USDT taker fee paid.
        ("49000", "-100", "9407.5", "9407.5"),  # a loss reduces both
        ("51000", "100", "9587.5", "9487.5"),  # a profit counts in availEq, never in availBal
    ],
)
def test_swap_position_moves_available_balance(
    trader: Driver, fresh_control: Control, mark: str, upl: str, avail_eq: str, avail_bal: str
) -> None:
    trader.set_leverage(10, "BTC/USDT:USDT")
    trader.create_order("BTC/USDT:USDT", "market", "buy", 10)
    fresh_control.set_price("okx", "BTC/USDT", mark)
    [position] = trader.fetch_positions(["BTC/USDT:USDT"])
    assert (position["side"], position["contracts"], position["contractSize"]) == ("long", 10, 0.01)
    assert (position["entryPrice"], position["markPrice"], position["leverage"]) == (50000, float(mark), 10)
    assert position["unrealizedPnl"] == float(upl)
    assert position["initialMargin"] == float(D(mark) / 100)
    balance = trader.fetch_balance()
    usdt = _detail(balance, "USDT")
    assert (usdt["cashBal"], usdt["upl"], usdt["imr"]) == ("9997.5", upl, str(D(mark) / 100))
    assert (usdt["availEq"], usdt["availBal"]) == (avail_eq, avail_bal)
    assert balance["USDT"]["free"] == float(avail_eq)
    assert balance["info"]["data"][0]["upl"] == upl


def test_closing_a_losing_position_realises_the_loss(trader: Driver, fresh_control: Control) -> None:
    trader.set_leverage(10, "BTC/USDT:USDT")
    trader.create_order("BTC/USDT:USDT", "market", "buy", 10)
    fresh_control.set_price("okx", "BTC/USDT", "49000")
    with pytest.raises(ccxt.InsufficientFunds):  # the loss is not transferable
        trader.transfer("USDT", 9500, "trading", "funding")
    close = trader.create_order("BTC/USDT:USDT", "market", "sell", 10, None, {"reduceOnly": True})
    closed = trader.fetch_order(close["id"], "BTC/USDT:USDT")
    assert closed["reduceOnly"] is True
    assert closed["info"]["pnl"] == "-100"
    assert trader.fetch_positions() == []
    usdt = _detail(trader.fetch_balance(), "USDT")
    # 10,000 - 2.5 open fee - 100 loss - 2.45 close fee (0.05 % of 4,900)
    assert usdt["cashBal"] == usdt["availBal"] == usdt["eq"] == "9895.05"
    trader.transfer("USDT", 9895.05, "trading", "funding")
    assert trader.fetch_balance({"type": "funding"})["USDT"]["total"] == 9895.05


def test_order_without_client_id_is_accepted(
    okx: DriverFactory, sandbox: SandboxServer, control: Control, account: str
) -> None:
    # ccxt always adds a clOrdId, so this request is signed by hand, as OKX's docs describe it.
    creds = new_key(control, account)
    control.deposit("okx", account, "trading", "USDT", "1000")
    body = json.dumps({"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "px": "1000",
                       "sz": "0.01"})  # fmt: skip
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    prehash = f"{timestamp}POST/api/v5/trade/order{body}".encode()
    signature = base64.b64encode(hmac.new(creds["secret"].encode(), prehash, hashlib.sha256).digest()).decode()
    headers = {
        "OK-ACCESS-KEY": creds["apiKey"],
        "OK-ACCESS-SIGN": signature,
        "OK-ACCESS-TIMESTAMP": timestamp,
        "OK-ACCESS-PASSPHRASE": creds["password"],
        "Content-Type": "application/json",
    }
    for _ in range(2):  # two of them: an absent clOrdId never collides
        reply = requests.post(f"{sandbox.url}/okx/api/v5/trade/order", data=body, headers=headers, timeout=30).json()
        assert (reply["code"], reply["data"][0]["sCode"], reply["data"][0]["clOrdId"]) == ("0", "0", "")
    orders = okx(creds).fetch_open_orders("BTC/USDT")
    assert [o["clientOrderId"] for o in orders] == [None, None]
