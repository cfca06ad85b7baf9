"""Public Bybit endpoints through ccxt: server time, system status, and load_markets."""

from __future__ import annotations

import time

import pytest

from tests.integration.sandbox_bybit.conftest import BybitDesk


def test_fetch_time_is_the_venue_clock(desk: BybitDesk) -> None:
    before = int(time.time() * 1000)
    server = desk.client().fetch_time()
    after = int(time.time() * 1000)
    assert before - 1000 <= server <= after + 1000


def test_fetch_status_is_ok_without_maintenance(desk: BybitDesk) -> None:
    status = desk.client().fetch_status()
    assert status["status"] == "ok"
    assert status["info"]["result"]["list"] == []


def test_maintenance_shows_in_fetch_status_as_ongoing(fresh_desk: BybitDesk) -> None:
    fresh_desk.control.fault("bybit", "maintenance", minutes=45)
    status = fresh_desk.client().fetch_status()
    assert status["status"] == "maintenance"
    event = status["info"]["result"]["list"][0]
    assert event["state"] == "ongoing"
    assert status["eta"] == int(event["end"])
    assert status["eta"] > int(time.time() * 1000) + 40 * 60_000


# (symbol, type, tick, amount step, min amount, min cost, max leverage)
MARKETS = [
    ("BTC/USDT", "spot", 0.01, 0.000001, 0.000048, 1, None),
    ("ETH/USDT", "spot", 0.01, 0.00001, 0.00062, 1, None),
    ("BTC/USDT:USDT", "swap", 0.1, 0.001, 0.001, 5, 100),
    ("ETH/USDT:USDT", "swap", 0.01, 0.01, 0.01, 5, 100),
]


@pytest.mark.parametrize(("symbol", "kind", "tick", "step", "min_amount", "min_cost", "max_lev"), MARKETS)
def test_load_markets_carries_bybit_specs(
    desk: BybitDesk,
    symbol: str,
    kind: str,
    tick: float,
    step: float,
    min_amount: float,
    min_cost: float,
    max_lev: int | None,
) -> None:
    markets = desk.client().load_markets()
    market = markets[symbol]
    assert market["id"] == symbol.split(":")[0].replace("/", "")
    assert market["type"] == kind
    assert market["active"] is True
    assert market["precision"]["price"] == tick
    assert market["precision"]["amount"] == step
    assert market["limits"]["amount"]["min"] == min_amount
    assert market["limits"]["cost"]["min"] == min_cost
    if max_lev is not None:
        assert market["linear"] is True
        assert market["settle"] == "USDT"
        assert market["limits"]["leverage"]["max"] == max_lev


def test_load_markets_lists_no_inverse_or_option_products(desk: BybitDesk) -> None:
    markets = desk.client().load_markets()
    assert sorted(markets) == ["BTC/USDT", "BTC/USDT:USDT", "ETH/USDT", "ETH/USDT:USDT"]
    client = desk.client()
    for category in ("inverse", "option"):
        page = client.publicGetV5MarketInstrumentsInfo({"category": category})
        assert page["retCode"] == 0
        assert page["result"]["list"] == []


def test_load_markets_with_a_key_also_loads_currencies(desk: BybitDesk) -> None:
    client = desk.client(desk.key(["read"]))
    client.load_markets()
    assert {"USDT", "BTC", "ETH"} <= set(client.currencies)
