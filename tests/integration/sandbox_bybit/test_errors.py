"""Every Bybit failure as ccxt users meet it: the error table, auth failures, limits and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import ccxt
import orjson
import pytest
import requests

from tests.integration.sandbox_bybit.conftest import BybitDesk
from tradebind.sandbox.core import ErrorKind
from tradebind.sandbox.protocols.bybit_errors import ERRORS, describe

# What an unmodified ccxt raises for each row of the table (ccxt bybit.py exceptions/httpExceptions).
CCXT_CLASS: dict[ErrorKind, type[Exception]] = {
    ErrorKind.MISSING_KEY: ccxt.AuthenticationError,
    ErrorKind.BAD_KEY_FORMAT: ccxt.AuthenticationError,
    ErrorKind.UNKNOWN_KEY: ccxt.AuthenticationError,
    ErrorKind.KEY_EXPIRED: ccxt.AuthenticationError,
    ErrorKind.WRONG_ENVIRONMENT: ccxt.AuthenticationError,
    ErrorKind.IP_NOT_ALLOWED: ccxt.PermissionDenied,
    ErrorKind.BAD_PASSPHRASE: ccxt.AuthenticationError,
    ErrorKind.BAD_SIGNATURE: ccxt.AuthenticationError,
    ErrorKind.BAD_TIMESTAMP: ccxt.InvalidNonce,
    ErrorKind.TIMESTAMP_OUT_OF_WINDOW: ccxt.InvalidNonce,
    ErrorKind.PERMISSION_DENIED: ccxt.PermissionDenied,
    ErrorKind.ACCOUNT_RESTRICTED: ccxt.PermissionDenied,
    ErrorKind.ACCOUNT_FROZEN: ccxt.AccountSuspended,
    ErrorKind.RATE_LIMITED: ccxt.RateLimitExceeded,
    ErrorKind.IP_BANNED: ccxt.RateLimitExceeded,
    ErrorKind.ORDER_RATE_LIMITED: ccxt.RateLimitExceeded,
    ErrorKind.MAINTENANCE: ccxt.ExchangeError,
    ErrorKind.UNKNOWN_EXECUTION: ccxt.RequestTimeout,
    ErrorKind.BAD_PARAMETER: ccxt.BadRequest,
    ErrorKind.UNKNOWN_SYMBOL: ccxt.BadSymbol,
    ErrorKind.FILTER_FAILURE: ccxt.BadRequest,
    ErrorKind.INSUFFICIENT_BALANCE: ccxt.InsufficientFunds,
    ErrorKind.DUPLICATE_CLIENT_ORDER_ID: ccxt.InvalidOrder,
    ErrorKind.ORDER_NOT_FOUND: ccxt.OrderNotFound,
    ErrorKind.CANCEL_REJECTED: ccxt.OrderNotFound,
    ErrorKind.REDUCE_ONLY_REJECTED: ccxt.InvalidOrder,
    ErrorKind.NOT_FOUND: ccxt.BadRequest,
}


def test_every_error_kind_has_a_row() -> None:
    assert set(ERRORS) == set(ErrorKind)
    assert set(CCXT_CLASS) == set(ErrorKind)


@pytest.mark.parametrize("kind", list(ErrorKind), ids=lambda k: k.value)
@pytest.mark.parametrize("spot", [False, True], ids=["contract", "spot"])
def test_each_row_reaches_ccxt_as_the_expected_exception(kind: ErrorKind, spot: bool) -> None:
    with pytest.raises(CCXT_CLASS[kind]):
        _feed_to_ccxt(*describe(kind, "", spot=spot))


def _feed_to_ccxt(status: int, code: int, message: str) -> None:
    """Hand ccxt's bybit error handlers a response as the sandbox renders it."""
    client = ccxt.bybit()
    url = "http://sandbox/bybit/v5/order/create"
    if status == 403:
        # A bare 403 from the gateway: ccxt falls back to its HTTP status table.
        assert client.handle_errors(status, "", url, "POST", {}, message, None, None, None) is None
        client.handle_http_status_code(status, "Forbidden", url, "POST", message)
        return
    body = {"retCode": code, "retMsg": message, "result": {}, "retExtInfo": {}, "time": 0}
    client.handle_errors(status, "", url, "POST", {}, orjson.dumps(body).decode(), body, None, None)


def _raises(exc: type[Exception], code: str, call: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(exc) as info:
        call(*args, **kwargs)
    assert f'"retCode":{code},' in str(info.value)


# authentication ------------------------------------------------------------------------------


def test_unknown_key_is_10003(desk: BybitDesk) -> None:
    client = desk.client({"apiKey": "AbCdEfGhIjKlMnOpQr", "secret": "x" * 36})
    _raises(ccxt.AuthenticationError, "10003", client.fetch_balance)


def test_wrong_secret_is_10004(desk: BybitDesk) -> None:
    creds = desk.key()
    client = desk.client({**creds, "secret": creds["secret"][::-1]})
    _raises(ccxt.AuthenticationError, "10004", client.fetch_balance)


def test_demo_key_on_the_live_host_is_10003(desk: BybitDesk) -> None:
    client = desk.client(desk.key(environment="demo"))
    _raises(ccxt.AuthenticationError, "10003", client.fetch_balance)


def test_expired_key_is_33004_and_minus_2015_on_spot(desk: BybitDesk) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    client = desk.client(desk.key(expires_at=past))
    _raises(
        ccxt.AuthenticationError, "33004", client.privateGetV5PositionList, {"category": "linear", "settleCoin": "USDT"}
    )
    _raises(ccxt.AuthenticationError, "-2015", client.privateGetV5OrderRealtime, {"category": "spot"})


def test_missing_auth_headers_get_401_with_bybit_body(desk: BybitDesk) -> None:
    resp = requests.get(f"{desk.url}/bybit/v5/account/wallet-balance?accountType=UNIFIED", timeout=10)
    assert resp.status_code == 401
    assert resp.json()["retCode"] == 10001
    assert "openapi sign params error" in resp.json()["retMsg"]


def test_key_bound_to_an_ip_works_there_and_gets_10010_elsewhere(desk: BybitDesk) -> None:
    creds = desk.key(ips=["127.0.0.2"])
    desk.control.deposit("bybit", desk.account, "unified", "USDT", "25")
    bound = desk.client(creds, source_ip="127.0.0.2")
    assert bound.fetch_balance()["USDT"]["total"] == 25
    _raises(ccxt.PermissionDenied, "10010", desk.client(creds).fetch_balance)


def test_clock_skew_is_10002(fresh_desk: BybitDesk) -> None:
    client = fresh_desk.client(fresh_desk.key())
    client.load_markets()
    fresh_desk.control.fault("bybit", "clock_offset", ms=-30_000)
    _raises(ccxt.InvalidNonce, "10002", client.fetch_balance)


# permissions and account state -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("permissions", "symbol"),
    [(["read"], "BTC/USDT"), (["futures"], "BTC/USDT"), (["read", "spot"], "BTC/USDT:USDT")],
)
def test_order_without_its_trade_permission_is_10005(desk: BybitDesk, permissions: list[str], symbol: str) -> None:
    desk.control.deposit("bybit", desk.account, "unified", "USDT", "1000")
    client = desk.client(desk.key(permissions))
    _raises(ccxt.PermissionDenied, "10005", client.create_order, symbol, "limit", "buy", 0.01, 1000)


def test_transfer_without_account_transfer_is_10005(desk: BybitDesk) -> None:
    desk.control.deposit("bybit", desk.account, "funding", "USDT", "100")
    client = desk.client(desk.key(["read", "spot", "futures"]))
    _raises(ccxt.PermissionDenied, "10005", client.transfer, "USDT", 10, "funding", "unified")


def test_restricted_account_cannot_trade_10027(desk: BybitDesk) -> None:
    client = desk.trader()
    desk.control.set_trading("bybit", desk.account, False)
    _raises(ccxt.PermissionDenied, "10027", client.create_order, "BTC/USDT", "limit", "buy", 0.001, 1000)
    assert client.fetch_balance()["USDT"]["total"] == 10000  # reading still works


# order refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("symbol", "code"), [("BTC/USDT", "170131"), ("BTC/USDT:USDT", "110007")])
def test_insufficient_balance(desk: BybitDesk, symbol: str, code: str) -> None:
    client = desk.trader("100")
    _raises(ccxt.InsufficientFunds, code, client.create_order, symbol, "limit", "buy", 1, 60000)


def test_order_link_id_is_never_reused_110072(desk: BybitDesk) -> None:
    client = desk.trader()
    order = client.create_order("BTC/USDT", "limit", "buy", 0.001, 1000, {"clientOrderId": "once-only"})
    client.cancel_order(order["id"], "BTC/USDT")
    _raises(
        ccxt.InvalidOrder,
        "110072",
        client.create_order,
        "BTC/USDT",
        "limit",
        "buy",
        0.001,
        1000,
        {"clientOrderId": "once-only"},
    )


def test_unknown_order_is_110001(desk: BybitDesk) -> None:
    client = desk.trader()
    _raises(ccxt.OrderNotFound, "110001", client.cancel_order, "99999999", "BTC/USDT:USDT")
    with pytest.raises(ccxt.OrderNotFound):
        client.fetch_order("99999999", "BTC/USDT:USDT", {"acknowledged": True})


def test_cancelling_a_filled_order_is_110001(desk: BybitDesk) -> None:
    client = desk.trader()
    order = client.create_order("BTC/USDT:USDT", "market", "buy", 0.001)
    _raises(ccxt.OrderNotFound, "110001", client.cancel_order, order["id"], "BTC/USDT:USDT")


def test_reduce_only_without_a_position_is_110017(desk: BybitDesk) -> None:
    client = desk.trader()
    _raises(
        ccxt.InvalidOrder,
        "110017",
        client.create_order,
        "BTC/USDT:USDT",
        "market",
        "sell",
        0.001,
        None,
        {"reduceOnly": True},
    )


@pytest.mark.parametrize(
    ("symbol", "amount", "price"),
    [("BTC/USDT", 0.00001, 60000), ("BTC/USDT:USDT", 0.001, 1000), ("ETH/USDT:USDT", 20000, 3000)],
    ids=["below-min-qty", "below-min-notional", "above-max-qty"],
)
def test_orders_outside_the_instrument_limits_are_10001(
    desk: BybitDesk, symbol: str, amount: float, price: float
) -> None:
    client = desk.trader()
    _raises(ccxt.BadRequest, "10001", client.create_order, symbol, "limit", "buy", amount, price)


def test_unknown_symbol_is_bad_symbol(desk: BybitDesk) -> None:
    client = desk.client(desk.key())
    body = {"category": "linear", "symbol": "DOGEUSDT", "side": "Buy", "orderType": "Market", "qty": "1"}
    with pytest.raises(ccxt.BadSymbol, match="Not supported symbols"):
        client.privatePostV5OrderCreate(body)


def test_bad_leverage_is_10001_naming_the_field(desk: BybitDesk) -> None:
    client = desk.client(desk.key())
    _raises(ccxt.BadRequest, "10001", client.set_leverage, 500, "BTC/USDT:USDT")
    with pytest.raises(ccxt.BadRequest, match="buyLeverage must be equal to sellLeverage"):
        client.privatePostV5PositionSetLeverage(
            {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "5", "sellLeverage": "6"}
        )


LINEAR_BUY = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.01"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"side": "Up"}, "side"),
        ({"qty": "lots"}, "qty"),
        ({"qty": "1e999999"}, "qty"),
        ({"qty": "NaN"}, "qty"),
        ({"qty": "-1"}, "quantity"),
        ({"qty": ["0.01"]}, "qty"),
        ({"reduceOnly": "maybe"}, "reduceOnly"),
        ({"orderType": "Limit"}, "price"),
        ({"orderLinkId": "x" * 37}, "orderLinkId"),
        ({"category": "futures"}, "category"),
        ({"timeInForce": "forever"}, "timeInForce"),
    ],
)
def test_malformed_order_is_10001_naming_the_field(desk: BybitDesk, change: dict[str, Any], field: str) -> None:
    client = desk.client(desk.key())
    with pytest.raises(ccxt.BadRequest, match='"retCode":10001') as info:
        client.privatePostV5OrderCreate({**LINEAR_BUY, **change})
    assert field in str(info.value)
