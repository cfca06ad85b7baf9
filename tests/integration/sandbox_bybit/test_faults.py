"""Injected faults as Bybit shows them: maintenance, latency, lost responses, limits, IP bans."""

from __future__ import annotations

import time

import ccxt
import pytest
import requests

from tests.integration.sandbox_bybit.conftest import BybitDesk
from tests.support.drivers import Driver


def test_maintenance_fails_private_calls_while_public_ones_answer(fresh_desk: BybitDesk) -> None:
    client = fresh_desk.trader()
    client.load_markets()
    fresh_desk.control.fault("bybit", "maintenance")
    with pytest.raises(ccxt.ExchangeError, match='"retCode":10016'):
        client.fetch_balance()
    assert client.fetch_status()["status"] == "maintenance"
    assert client.fetch_time() > 0
    fresh_desk.control.clear_faults("bybit")
    assert client.fetch_balance()["USDT"]["total"] == 10000


def test_latency_beyond_the_client_timeout_is_a_request_timeout(fresh_desk: BybitDesk) -> None:
    client = fresh_desk.client()
    client.client.timeout = 300  # ms, ccxt's own setting
    fresh_desk.control.fault("bybit", "latency", ms=1500, count=1)
    with pytest.raises(ccxt.RequestTimeout):
        client.fetch_time()
    # The fault fired once and is gone: the next call is answered within a timeout still below
    # the fault's delay (300 ms left too little room for a busy machine's own stalls).
    client.client.timeout = 1000
    assert client.fetch_time() > 0


def test_dropped_order_response_leaves_the_order_placed(fresh_desk: BybitDesk) -> None:
    client = fresh_desk.trader()
    client.fetch_balance()
    fresh_desk.control.fault("bybit", "drop_after_accept", count=1)
    with pytest.raises(ccxt.NetworkError):
        client.create_order("BTC/USDT", "limit", "buy", 0.001, 1000, {"clientOrderId": "lost-reply"})
    found = client.fetch_open_orders("BTC/USDT", None, None, {"orderLinkId": "lost-reply"})
    assert [o["clientOrderId"] for o in found] == ["lost-reply"]
    assert found[0]["status"] == "open"


def test_server_error_on_create_is_a_timeout_with_unknown_outcome(fresh_desk: BybitDesk) -> None:
    client = fresh_desk.trader()
    client.fetch_balance()  # ccxt learns the account is unified (query-api, account/info) once
    fresh_desk.control.fault("bybit", "server_error", count=1)
    with pytest.raises(ccxt.RequestTimeout, match='"retCode":10016'):
        client.create_order("BTC/USDT:USDT", "limit", "buy", 0.001, 10000, {"clientOrderId": "maybe-placed"})
    # The order went through: retrying with the same orderLinkId is refused, looking it up finds it.
    with pytest.raises(ccxt.InvalidOrder, match='"retCode":110072'):
        client.create_order("BTC/USDT:USDT", "limit", "buy", 0.001, 10000, {"clientOrderId": "maybe-placed"})
    found = client.fetch_open_orders("BTC/USDT:USDT", None, None, {"orderLinkId": "maybe-placed"})
    assert len(found) == 1


def test_server_error_on_a_read_is_10016(fresh_desk: BybitDesk) -> None:
    client = fresh_desk.trader()
    client.load_markets()
    fresh_desk.control.fault("bybit", "server_error", count=1)
    with pytest.raises(ccxt.RequestTimeout, match='"retCode":10016'):
        client.fetch_positions()
    assert client.fetch_positions() == []


def test_rate_limit_fault_gives_10006_with_bybit_headers(fresh_desk: BybitDesk) -> None:
    client = fresh_desk.trader()
    client.load_markets()
    fresh_desk.control.fault("bybit", "rate_limit", weight_per_minute=60, per_second=1)
    # Three calls inside well under two seconds: two land in one 1-second window.
    with pytest.raises(ccxt.RateLimitExceeded, match='"retCode":10006'):
        _burst(client, 3)
    # ccxt keeps no headers of a failed call; send the same signed request by hand to read them.
    refused = None
    for _ in range(3):
        signed = client.sign("v5/order/realtime", ["private"], "GET", {"category": "spot"})
        resp = requests.get(signed["url"], headers=signed["headers"], timeout=10)
        if resp.json()["retCode"] == 10006:
            refused = resp
            break
    assert refused is not None
    assert refused.headers["X-Bapi-Limit"] == "1"
    assert refused.headers["X-Bapi-Limit-Status"] == "0"
    assert int(refused.headers["X-Bapi-Limit-Reset-Timestamp"]) > int(time.time() * 1000) - 1000


def _burst(client: Driver, calls: int) -> None:
    for _ in range(calls):
        client.fetch_open_orders("BTC/USDT")


def test_limit_headers_report_the_endpoint_budget(desk: BybitDesk) -> None:
    client = desk.client(desk.key())
    client.privateGetV5UserQueryApi()
    headers = {k.lower(): v for k, v in client.last_response_headers.items()}
    assert headers["x-bapi-limit"] == "10"  # query-api: 10/s per UID (rate-limit.mdx)
    assert 0 <= int(headers["x-bapi-limit-status"]) < 10
    reset = int(headers["x-bapi-limit-reset-timestamp"])
    assert time.time() * 1000 - 1000 < reset <= time.time() * 1000 + 1000


def test_per_ip_limit_is_a_bare_403(fresh_desk: BybitDesk) -> None:
    url = f"{fresh_desk.url}/bybit/v5/market/time"
    session = requests.Session()
    client = fresh_desk.client()

    def exhaust() -> int:
        status = 200
        # 600 per 5 s per IP: two windows' worth of requests is the deadline.
        for _ in range(1300):
            status = session.get(url, timeout=10).status_code
            if status != 200:
                break
        return status

    # The 5 s windows are Bybit's, on the clock: one may turn between the 403 and ccxt's call,
    # but not again right after, while a fresh window is being used up.
    refused = []
    for _ in range(2):
        assert exhaust() == 403
        try:
            client.fetch_time()
        except ccxt.RateLimitExceeded as exc:
            refused.append(exc)
            break
    assert refused, "ccxt was not refused right after the IP's 403"
