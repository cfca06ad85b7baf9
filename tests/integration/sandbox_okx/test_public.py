"""Public OKX endpoints through ccxt: time, system status, instruments with OKX's real specs."""

from __future__ import annotations

import time

import pytest

from .conftest import DriverFactory

# (symbol, instId, tickSz, lotSz, minSz, ctVal) as OKX lists them (GET /api/v5/public/instruments).
SPECS = [
    ("BTC/USDT", "BTC-USDT", 0.1, 0.00000001, 0.00001, None),
    ("ETH/USDT", "ETH-USDT", 0.01, 0.000001, 0.0001, None),
    ("BTC/USDT:USDT", "BTC-USDT-SWAP", 0.1, 0.01, 0.01, 0.01),
    ("ETH/USDT:USDT", "ETH-USDT-SWAP", 0.01, 0.01, 0.01, 0.1),
]


def test_fetch_time_is_the_servers_clock(okx: DriverFactory) -> None:
    before = int(time.time() * 1000)
    server = okx().fetch_time()
    assert before - 1000 <= server <= int(time.time() * 1000) + 1000


def test_fetch_status_is_ok_without_maintenance(okx: DriverFactory) -> None:
    status = okx().fetch_status()
    assert status["status"] == "ok"
    assert status["info"] == {"code": "0", "msg": "", "data": []}


@pytest.mark.parametrize(("symbol", "inst_id", "tick", "lot", "min_sz", "ct_val"), SPECS)
def test_markets_carry_okx_specs(
    okx: DriverFactory, symbol: str, inst_id: str, tick: float, lot: float, min_sz: float, ct_val: float | None
) -> None:
    market = okx().load_markets()[symbol]
    assert market["id"] == inst_id
    assert market["precision"] == {"amount": lot, "price": tick}
    assert market["limits"]["amount"]["min"] == min_sz
    assert market["contractSize"] == ct_val
    assert market["active"] is True
    if ct_val is not None:
        assert (market["swap"], market["linear"], market["settle"]) == (True, True, "USDT")
        assert market["limits"]["leverage"]["max"] == 100
    else:
        assert market["spot"]


def test_load_markets_lists_exactly_the_traded_products(okx: DriverFactory, credentials: dict[str, str]) -> None:
    # With credentials ccxt also loads /asset/currencies; futures and options come back empty.
    client = okx(credentials)
    markets = client.load_markets()
    assert sorted(markets) == sorted(s[0] for s in SPECS)
    assert {"BTC", "ETH", "USDT"} <= set(client.client.currencies)


def test_ticker_reports_the_current_price(okx: DriverFactory) -> None:
    ticker = okx().fetch_ticker("BTC/USDT")
    assert ticker["symbol"] == "BTC/USDT"
    assert ticker["last"] > 0
