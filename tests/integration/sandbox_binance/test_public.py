"""Markets, time, status, rate-limit info and weight headers as ccxt and Binance clients read them."""

from __future__ import annotations

import time

import ccxt
import pytest

from .conftest import BinanceDesk, binance_error


@pytest.mark.parametrize("with_key", [False, True])
def test_load_markets_gives_binance_specs(desk: BinanceDesk, with_key: bool) -> None:
    client = desk.client(desk.key() if with_key else None)
    markets = client.load_markets()
    assert sorted(markets) == ["BTC/USDT", "BTC/USDT:USDT", "ETH/USDT", "ETH/USDT:USDT"]
    spot = markets["BTC/USDT"]
    assert (spot["type"], spot["id"], spot["active"]) == ("spot", "BTCUSDT", True)
    assert (spot["precision"]["amount"], spot["precision"]["price"]) == (0.00001, 0.01)
    assert (spot["limits"]["amount"]["min"], spot["limits"]["cost"]["min"]) == (0.00001, 5)
    perp = markets["BTC/USDT:USDT"]
    assert (perp["type"], perp["linear"], perp["settle"], perp["contractSize"]) == ("swap", True, "USDT", 1)
    assert (perp["precision"]["amount"], perp["precision"]["price"], perp["limits"]["cost"]["min"]) == (0.001, 0.1, 100)
    if with_key:  # currencies come from /sapi/v1/capital/config/getall, which needs a key
        assert {"BTC", "ETH", "USDT"} <= set(client.currencies)
        assert client.currencies["BTC"]["networks"]["BTC"]["withdraw"] is True


@pytest.mark.parametrize("market_type", ["spot", "swap"])
def test_fetch_time_is_the_server_clock(desk: BinanceDesk, market_type: str) -> None:
    before = int(time.time() * 1000)
    server = desk.client().fetch_time({"type": market_type})
    assert before - 1000 <= server <= int(time.time() * 1000) + 1000


def test_rate_limits_are_published_and_tightened_by_the_fault(fresh_desk: BinanceDesk) -> None:
    client = fresh_desk.client()
    spot = client.public_get_exchangeinfo()["rateLimits"]
    futures = client.fapipublic_get_exchangeinfo()["rateLimits"]
    assert {(r["rateLimitType"], r["interval"], r["intervalNum"], r["limit"]) for r in spot} == {
        ("REQUEST_WEIGHT", "MINUTE", 1, 6000), ("ORDERS", "SECOND", 10, 50), ("ORDERS", "DAY", 1, 160000),
        ("RAW_REQUESTS", "MINUTE", 5, 61000),
    }  # fmt: skip
    assert {(r["rateLimitType"], r["interval"], r["intervalNum"], r["limit"]) for r in futures} == {
        ("REQUEST_WEIGHT", "MINUTE", 1, 2400), ("ORDERS", "SECOND", 10, 300), ("ORDERS", "MINUTE", 1, 1200),
    }  # fmt: skip
    fresh_desk.fault("rate_limit", weight_per_minute=500)
    tightened = client.public_get_exchangeinfo()["rateLimits"]
    assert [r["limit"] for r in tightened if r["rateLimitType"] == "REQUEST_WEIGHT"] == [500]


def test_weight_headers_count_each_api_per_ip(fresh_desk: BinanceDesk) -> None:
    client = fresh_desk.client(source_ip="127.0.0.5")
    raw = client.client

    def used(call: str, header: str = "X-MBX-USED-WEIGHT-1M") -> int:
        getattr(client, call)()
        return int(raw.last_response_headers[header])

    first = used("public_get_exchangeinfo")
    second = used("public_get_exchangeinfo")
    assert second in (first + 20, 20)  # exchangeInfo weighs 20; 20 again if a new minute began
    futures = used("fapipublic_get_exchangeinfo")
    assert futures == 1  # /fapi counts apart from /api, at 1 per exchangeInfo
    assert used("sapi_get_system_status", "X-SAPI-USED-IP-WEIGHT-1M") == 1


def test_maintenance_blocks_private_calls_and_shows_in_system_status(fresh_desk: BinanceDesk) -> None:
    client = fresh_desk.client(fresh_desk.key())
    client.load_markets()
    assert client.fetch_status()["status"] == "ok"
    fresh_desk.fault("maintenance")
    status = client.fetch_status()
    assert (status["status"], status["info"]) == ("maintenance", {"status": 1, "msg": "system_maintenance"})
    for call in (client.fetch_balance, lambda: client.fetch_balance({"type": "swap"})):
        with pytest.raises(ccxt.OnMaintenance):
            call()
        assert binance_error(ccxt.OnMaintenance(), client) == {"code": 1, "msg": "System is under maintenance."}
    assert client.fetch_time() > 0  # public endpoints keep answering
    fresh_desk.control.clear_faults("binance")
    assert client.fetch_balance()["info"]["accountType"] == "SPOT"
