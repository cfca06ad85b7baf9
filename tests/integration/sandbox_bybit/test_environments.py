"""Bybit's demo trading route and frozen accounts as an unmodified ccxt client meets them.

The sandbox serves Bybit demo trading at ``/bybit-demo`` on the same venue: keys created with
``"environment": "demo"`` work there and only there; elsewhere Bybit answers 10003 "Check whether
the key and domain are matched, there are 4 env" (exchanges.md §3.4).
"""

from __future__ import annotations

import ccxt
import pytest

from .conftest import BybitDesk

_BAD_KEY = "there are 4 env: mainnet, testnet, mainnet-demo, testnet-demo"


def test_a_demo_key_works_on_demo_trading_only(desk: BybitDesk) -> None:
    desk.control.deposit("bybit", desk.account, "unified", "USDT", "7")
    creds = desk.key(environment="demo")
    demo = desk.client(creds, environment="demo")
    assert demo.fetch_balance()["USDT"]["free"] == 7
    live = desk.client(creds)
    with pytest.raises(ccxt.AuthenticationError, match="10003") as caught:
        live.fetch_balance()
    assert _BAD_KEY in str(caught.value)


def test_a_live_key_is_unknown_on_demo_trading(desk: BybitDesk) -> None:
    demo = desk.client(desk.key(), environment="demo")
    with pytest.raises(ccxt.AuthenticationError, match="10003"):
        demo.fetch_balance()


@pytest.mark.parametrize("call", ["fetch_balance", "query_api", "create_order"])
def test_a_frozen_account_is_refused_every_private_call_10008(desk: BybitDesk, call: str) -> None:
    client = desk.trader("1000")
    desk.control.set_account("bybit", desk.account, frozen=True)
    calls = {
        "fetch_balance": lambda: client.fetch_balance(),
        "query_api": lambda: client.privateGetV5UserQueryApi(),
        "create_order": lambda: client.create_order("BTC/USDT", "limit", "buy", 0.001, 30000),
    }
    with pytest.raises(ccxt.AccountSuspended, match="10008") as caught:
        calls[call]()
    assert "Common banned" in str(caught.value)
    desk.control.set_account("bybit", desk.account, frozen=False)
    assert client.fetch_balance()["USDT"]["free"] == 1000
