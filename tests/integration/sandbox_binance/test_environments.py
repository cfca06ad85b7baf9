"""The testnet route, frozen accounts and tickers as an unmodified ccxt client meets them.

The sandbox serves Binance's testnet at ``/binance-testnet`` on the same venue: keys created with
``"environment": "demo"`` work there and only there; binance.com answers them -2015 like any key
it does not know (a testnet key does not exist on binance.com).
"""

from __future__ import annotations

import ccxt
import pytest

from .conftest import BinanceDesk, binance_error


@pytest.mark.parametrize("market", ["spot", "swap"])
def test_a_testnet_key_works_on_the_testnet_only(desk: BinanceDesk, market: str) -> None:
    desk.control.deposit("binance", desk.account, "spot" if market == "spot" else "futures", "USDT", "7")
    creds = desk.key(environment="demo")
    testnet = desk.client(creds, environment="demo")
    assert testnet.fetch_balance({"type": market})["USDT"]["free"] == 7
    live = desk.client(creds)
    with pytest.raises(ccxt.AuthenticationError) as caught:
        live.fetch_balance({"type": market})
    assert binance_error(caught.value)["code"] == -2015


def test_a_live_key_is_unknown_on_the_testnet(desk: BinanceDesk) -> None:
    testnet = desk.client(desk.key(), environment="demo")
    with pytest.raises(ccxt.AuthenticationError) as caught:
        testnet.fetch_balance()
    assert binance_error(caught.value)["code"] == -2015


def test_a_frozen_account_reads_but_may_not_trade(desk: BinanceDesk) -> None:
    client = desk.trader(spot_usdt="1000")
    desk.control.set_account("binance", desk.account, frozen=True)
    assert client.fetch_balance()["USDT"]["free"] == 1000
    assert client.privateGetAccount()["canTrade"] is False
    assert client.sapiGetAccountStatus()["data"] == "Frozen"
    assert client.sapiGetAccountApiTradingStatus()["data"]["isLocked"] is True
    with pytest.raises(ccxt.ExchangeError) as caught:
        client.create_order("BTC/USDT", "limit", "buy", 0.001, 30000)
    assert binance_error(caught.value, client) == {"code": -2010, "msg": "This action is disabled on this account."}
    desk.control.set_account("binance", desk.account, frozen=False)
    assert client.create_order("BTC/USDT", "limit", "buy", 0.001, 30000)["status"] == "open"


@pytest.mark.parametrize(("symbol", "path"), [("BTC/USDT", "api/v3"), ("BTC/USDT:USDT", "fapi/v1")])
def test_tickers_show_the_sandbox_price(fresh_desk: BinanceDesk, symbol: str, path: str) -> None:
    fresh_desk.set_price("BTC/USDT", "50000")
    client = fresh_desk.client()
    ticker = client.fetch_ticker(symbol)  # GET /<path>/ticker/24hr
    assert (ticker["last"], ticker["open"], ticker["high"], ticker["low"]) == (50000, 50000, 50000, 50000)
    assert ticker["percentage"] == 0
    spot = path == "api/v3"
    one = (client.publicGetTickerPrice if spot else client.fapiPublicGetTickerPrice)({"symbol": "BTCUSDT"})
    assert (one["symbol"], float(one["price"])) == ("BTCUSDT", 50000)
    listed = (client.publicGetTickerPrice if spot else client.fapiPublicGetTickerPrice)()
    assert {row["symbol"] for row in listed} == {"BTCUSDT", "ETHUSDT"}
    assert set(client.fetch_tickers([symbol])) == {symbol}


def test_a_ticker_of_an_unknown_symbol_is_minus_1121(desk: BinanceDesk) -> None:
    client = desk.client()
    with pytest.raises(ccxt.BadSymbol) as caught:
        client.publicGetTickerPrice({"symbol": "DOGEUSDT"})
    assert binance_error(caught.value) == {"code": -1121, "msg": "Invalid symbol."}
