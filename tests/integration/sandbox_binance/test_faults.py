"""Injected faults as a ccxt client meets them on Binance: latency, lost responses, 5xx, limits."""

from __future__ import annotations

import time

import ccxt
import pytest

from tests.support.drivers import Driver

from .conftest import BinanceDesk, binance_error, signed

ORDERS = {
    "spot": ("BTC/USDT", 0.001, 30000),
    "futures": ("BTC/USDT:USDT", 0.01, 30000),
}


def place(client: Driver, market: str, client_id: str) -> None:
    symbol, amount, price = ORDERS[market]
    client.create_order(symbol, "limit", "buy", amount, price, {"clientOrderId": client_id})


def find(client: Driver, market: str, client_id: str) -> dict[str, object]:
    return client.fetch_order(None, ORDERS[market][0], {"origClientOrderId": client_id})  # type: ignore[no-any-return]


def test_latency_delays_the_answer(fresh_desk: BinanceDesk) -> None:
    client = fresh_desk.client()
    fresh_desk.fault("latency", ms=400)
    started = time.monotonic()
    assert client.fetch_time() > 0
    assert time.monotonic() - started >= 0.4


@pytest.mark.parametrize("market", ORDERS.keys())
def test_dropped_connection_after_accept_leaves_the_order_in_place(fresh_desk: BinanceDesk, market: str) -> None:
    client = fresh_desk.trader(spot_usdt="1000", futures_usdt="1000")
    client.load_markets()
    fresh_desk.fault("drop_after_accept", count=1)
    with pytest.raises(ccxt.NetworkError):
        place(client, market, "lost-ack-1")
    found = find(client, market, "lost-ack-1")
    assert (found["clientOrderId"], found["status"]) == ("lost-ack-1", "open")


@pytest.mark.parametrize("market", ORDERS.keys())
@pytest.mark.parametrize("executed", [True, False])
def test_server_error_leaves_execution_unknown(fresh_desk: BinanceDesk, market: str, executed: bool) -> None:
    client = fresh_desk.trader(spot_usdt="1000", futures_usdt="1000")
    client.load_markets()
    fresh_desk.fault("server_error", count=1, executed=executed)
    with pytest.raises(ccxt.RequestTimeout) as caught:
        place(client, market, "unknown-1")
    assert binance_error(caught.value) == {
        "code": -1007,
        "msg": "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    }
    if executed:
        assert find(client, market, "unknown-1")["status"] == "open"
    else:
        with pytest.raises(ccxt.OrderNotFound):
            find(client, market, "unknown-1")


@pytest.mark.parametrize(("given", "status"), [({}, 503), ({"status": 502}, 502)])
def test_server_error_http_status(fresh_desk: BinanceDesk, given: dict[str, int], status: int) -> None:
    creds = fresh_desk.key()
    fresh_desk.fault("server_error", count=1, **given)
    resp = signed(fresh_desk, "GET", "/api/v3/account", {}, creds)
    assert (resp.status_code, resp.json()["code"]) == (status, -1007)
    assert "X-MBX-USED-WEIGHT-1M" in resp.headers
    assert signed(fresh_desk, "GET", "/api/v3/account", {}, creds).status_code == 200  # count=1: once only


def test_over_the_weight_limit_429_then_an_ip_ban(fresh_desk: BinanceDesk) -> None:
    fresh_desk.fault("rate_limit", weight_per_minute=50)
    client = fresh_desk.client()
    raw = client.client
    statuses: list[int] = []
    for _ in range(20):  # exchangeInfo weighs 20: the third call of a minute goes over 50
        try:
            client.public_get_exchangeinfo()
            statuses.append(200)
        except ccxt.DDoSProtection as exc:
            body = binance_error(exc)
            status = 418 if body["msg"].startswith("Way too much") else 429
            statuses.append(status)
            assert int(raw.last_response_headers["Retry-After"]) > 0
            if status == 429:
                assert body == {
                    "code": -1003,
                    "msg": "Too much request weight used; current limit is 50 request weight per 1 MINUTE. "
                    "Please use WebSocket Streams for live updates to avoid polling the API.",
                }
            else:
                assert body["code"] == -1003
                assert raw.last_response_headers["Retry-After"] == "120"
                break
    assert statuses[-2:] == [429, 418]  # continuing past a 429 gets the IP banned
    with pytest.raises(ccxt.DDoSProtection):
        client.public_get_time()  # the ban covers the whole /api family...
    assert client.fapipublic_get_time()["serverTime"] > 0  # ...but /fapi counts apart


def test_too_many_new_orders_is_minus_1015(fresh_desk: BinanceDesk) -> None:
    client = fresh_desk.trader(spot_usdt="2000", futures_usdt="0")
    client.load_markets()
    counts: list[int] = []
    refused: ccxt.DDoSProtection | None = None
    for i in range(120):  # 50 per 10 s: at most two windows before one overflows
        try:
            client.create_order("BTC/USDT", "limit", "buy", 0.0001, 50000, {"clientOrderId": f"burst-{i}"})
        except ccxt.DDoSProtection as exc:
            refused = exc
            break
        counts.append(int(client.client.last_response_headers["X-MBX-ORDER-COUNT-10S"]))
    assert refused is not None
    assert binance_error(refused) == {
        "code": -1015,
        "msg": "Too many new orders; current limit is 50 orders per 10 SECOND.",
    }
    assert max(counts) == 50
