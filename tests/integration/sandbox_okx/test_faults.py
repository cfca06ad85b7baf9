"""Injected faults as OKX shows them: maintenance, latency, lost and unknown outcomes, limits, clock."""

from __future__ import annotations

import time

import ccxt
import pytest
import requests

from tests.support.control import Control
from tests.support.drivers import Driver
from tradebind.sandbox.server import SandboxServer

from .conftest import DriverFactory, new_key


@pytest.fixture
def trader(fresh_okx: DriverFactory, fresh_control: Control, account: str) -> Driver:
    fresh_control.deposit("okx", account, "trading", "USDT", "10000")
    return fresh_okx(new_key(fresh_control, account))


def test_maintenance_shows_in_status_and_refuses_requests(trader: Driver, fresh_control: Control) -> None:
    trader.client.enableRateLimit = False  # ccxt spaces /system/status calls 5 s apart on its own
    fresh_control.fault("okx", "maintenance")
    status = trader.fetch_status()
    assert status["status"] == "maintenance"
    assert status["info"]["data"][0]["state"] == "ongoing"
    assert trader.fetch_time() > 0  # time and status stay up
    with pytest.raises(ccxt.OnMaintenance, match="50001"):
        trader.fetch_balance()
    fresh_control.clear_faults("okx")
    assert trader.fetch_status()["status"] == "ok"
    assert trader.fetch_balance()["USDT"]["total"] == 10000


def test_latency_delays_answers_past_a_short_client_timeout(trader: Driver, fresh_control: Control) -> None:
    trader.load_markets()  # before the fault, so only the balance request waits
    fresh_control.fault("okx", "latency", ms=1500)
    trader.client.timeout = 300
    with pytest.raises(ccxt.RequestTimeout):
        trader.fetch_balance()
    trader.client.timeout = 10_000
    assert trader.fetch_balance()["USDT"]["total"] == 10000


def test_dropped_order_was_placed_and_is_found_by_client_id(
    trader: Driver, fresh_control: Control, client_order_id: str
) -> None:
    trader.load_markets()
    fresh_control.fault("okx", "drop_after_accept", count=1)
    params = {"clientOrderId": client_order_id}
    with pytest.raises(ccxt.NetworkError):
        trader.create_order("BTC/USDT", "limit", "buy", 0.01, 10000, params)
    found = trader.fetch_order(None, "BTC/USDT", params)
    assert (found["clientOrderId"], found["status"]) == (client_order_id, "open")


def test_server_error_on_an_order_leaves_the_outcome_to_query(
    trader: Driver, fresh_control: Control, client_order_id: str
) -> None:
    trader.load_markets()
    fresh_control.fault("okx", "server_error", count=1)
    params = {"clientOrderId": client_order_id}
    with pytest.raises(ccxt.ExchangeError) as raised:
        trader.create_order("BTC/USDT", "limit", "buy", 0.01, 10000, params)
    assert '"sCode":"51149"' in str(raised.value)
    assert "does not mean that the request was successful or failed" in str(raised.value)
    assert trader.fetch_order(None, "BTC/USDT", params)["status"] == "open"


def test_server_error_on_a_read_is_a_timeout(trader: Driver, fresh_control: Control) -> None:
    trader.load_markets()
    fresh_control.fault("okx", "server_error", count=1)
    with pytest.raises(ccxt.RequestTimeout, match="50004"):
        trader.fetch_balance()
    assert trader.fetch_balance()["USDT"]["total"] == 10000


def test_rate_limit_fault_tightens_private_and_public_limits(trader: Driver, fresh_control: Control) -> None:
    fresh_control.fault("okx", "rate_limit", weight_per_minute=2)
    trader.privateGetAccountConfig()
    trader.privateGetAccountConfig()
    with pytest.raises(ccxt.RateLimitExceeded, match="50011"):
        trader.privateGetAccountConfig()
    trader.fetch_time()
    trader.fetch_time()
    with pytest.raises(ccxt.RateLimitExceeded, match="50011"):
        trader.fetch_time()


def test_rate_limited_requests_get_http_429(fresh_sandbox: SandboxServer, fresh_control: Control, account: str) -> None:
    client = ccxt.okx({"urls": {"api": {"rest": f"{fresh_sandbox.url}/okx"}}, **new_key(fresh_control, account)})
    fresh_control.fault("okx", "rate_limit", weight_per_minute=1)
    answers = []
    for _ in range(2):
        signed = client.sign("account/config", ["private"], "GET", {})
        answers.append(requests.get(signed["url"], headers=signed["headers"], timeout=30))
    assert [a.status_code for a in answers] == [200, 429]
    assert answers[1].json()["code"] == "50011"


def test_account_config_allows_five_requests_per_two_seconds(trader: Driver) -> None:
    trader.client.enableRateLimit = False  # let the requests through as fast as they come
    answered = 0
    refused: ccxt.RateLimitExceeded | None = None
    deadline = time.monotonic() + 30
    while refused is None and time.monotonic() < deadline:
        try:
            trader.privateGetAccountConfig()
            answered += 1
        except ccxt.RateLimitExceeded as exc:
            refused = exc
    assert refused is not None, "no 50011 within 30 s"
    assert '"code":"50011"' in str(refused)
    assert answered >= 5  # a window holds five before the sixth is refused


def test_limits_are_per_user(fresh_okx: DriverFactory, fresh_control: Control, account: str) -> None:
    first = fresh_okx(new_key(fresh_control, account))
    other = fresh_okx(new_key(fresh_control, f"{account}-other"))
    fresh_control.fault("okx", "rate_limit", weight_per_minute=1)
    first.privateGetAccountConfig()
    with pytest.raises(ccxt.RateLimitExceeded):
        first.privateGetAccountConfig()
    assert other.privateGetAccountConfig()["code"] == "0"


def test_clock_offset_expires_signed_requests(trader: Driver, fresh_control: Control) -> None:
    fresh_control.fault("okx", "clock_offset", ms=60_000)
    assert trader.fetch_time() > time.time() * 1000 + 50_000
    with pytest.raises(ccxt.InvalidNonce, match="50102"):
        trader.fetch_balance()
