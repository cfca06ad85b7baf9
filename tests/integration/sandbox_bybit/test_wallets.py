"""Funding and unified wallets through ccxt: balances and transfers between them."""

from __future__ import annotations

import ccxt
import pytest

from tests.integration.sandbox_bybit.conftest import BybitDesk

approx = pytest.approx


def test_funding_and_unified_balances_are_apart(desk: BybitDesk) -> None:
    desk.control.deposit("bybit", desk.account, "funding", "USDT", "500")
    desk.control.deposit("bybit", desk.account, "funding", "ETH", "2")
    desk.control.deposit("bybit", desk.account, "unified", "USDT", "1000")
    client = desk.client(desk.key(["read"]))
    funding = client.fetch_balance({"type": "funding"})
    assert (funding["USDT"]["free"], funding["USDT"]["total"]) == (500, 500)
    assert funding["ETH"]["total"] == 2
    unified = client.fetch_balance()
    assert unified["USDT"]["total"] == 1000
    assert "ETH" not in unified["total"]


def test_transfer_moves_funds_both_ways(desk: BybitDesk) -> None:
    desk.control.deposit("bybit", desk.account, "funding", "USDT", "500")
    client = desk.client(desk.key(["read", "transfer"]))
    moved = client.transfer("USDT", 200, "funding", "unified")
    assert (moved["status"], moved["amount"], moved["fromAccount"], moved["toAccount"]) == (
        "ok",
        200,
        "funding",
        "unified",
    )
    assert client.fetch_balance({"type": "funding"})["USDT"]["total"] == 300
    assert client.fetch_balance()["USDT"]["total"] == 200
    client.transfer("USDT", 50.5, "unified", "funding")
    assert client.fetch_balance({"type": "funding"})["USDT"]["total"] == 350.5
    sandbox_view = desk.control.balances("bybit", desk.account)["wallets"]
    assert sandbox_view["unified"]["USDT"]["free"] == "149.5"


def test_transfer_id_is_used_once(desk: BybitDesk) -> None:
    desk.control.deposit("bybit", desk.account, "funding", "USDT", "500")
    client = desk.client(desk.key(["transfer"]))
    client.transfer("USDT", 10, "funding", "unified", {"transferId": "c0ffee00-0000-4000-8000-000000000001"})
    with pytest.raises(ccxt.BadRequest, match="transferId"):
        client.transfer("USDT", 10, "funding", "unified", {"transferId": "c0ffee00-0000-4000-8000-000000000001"})
    assert client.fetch_balance({"type": "funding"})["USDT"]["total"] == 490


def test_margin_in_use_cannot_be_transferred_out(fresh_desk: BybitDesk) -> None:
    fresh_desk.control.set_price("bybit", "BTC/USDT", "65000")
    client = fresh_desk.trader("1000")
    client.set_leverage(10, "BTC/USDT:USDT")
    client.create_order("BTC/USDT:USDT", "market", "buy", 0.1)  # 650 initial margin, 3.575 fee
    coins = client.privateGetV5AssetTransferQueryAccountCoinsBalance({"accountType": "UNIFIED", "coin": "USDT"})
    transferable = float(coins["result"]["balance"][0]["transferBalance"])
    assert transferable == approx(1000 - 3.575 - 650)
    with pytest.raises(ccxt.InsufficientFunds):
        client.transfer("USDT", 400, "unified", "funding")
    client.transfer("USDT", 300, "unified", "funding")
    assert client.fetch_balance({"type": "funding"})["USDT"]["total"] == 300


def test_wallet_balance_needs_a_known_account_type(desk: BybitDesk) -> None:
    client = desk.client(desk.key(["read"]))
    with pytest.raises(ccxt.BadRequest, match="accountType"):
        client.privateGetV5AccountWalletBalance({"accountType": "CONTRACT"})
