"""The control API's happy paths over HTTP, for every registered exchange."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from tests.support.clients import sync_client
from tests.support.control import Control, ControlError
from tradebind.sandbox.core import Market
from tradebind.sandbox.protocols import PROTOCOLS
from tradebind.sandbox.server import SandboxServer

from .helpers import EXCHANGES, PASSPHRASE, key_extras, trading_key


def test_health_lists_every_exchange(sandbox: SandboxServer) -> None:
    body = requests.get(f"{sandbox.url}/sandbox/v1/health", timeout=10).json()
    assert body == {"status": "ok", "exchanges": EXCHANGES}


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_key_lifecycle(control: Control, account: str, exchange: str) -> None:
    names = list(PROTOCOLS[exchange].permission_names)
    created = control.create_key(
        exchange, account, names[:2], label="ci bot", ips=["127.0.0.1", "10.0.0.0/8"], **key_extras(exchange)
    )
    assert created["api_key"]
    assert created["secret"]

    listed = control.keys(exchange, account)
    assert [k["api_key"] for k in listed] == [created["api_key"]]
    assert listed[0]["label"] == "ci bot"
    assert listed[0]["ips"] == ["127.0.0.1", "10.0.0.0/8"]
    assert set(names[:2]) <= set(listed[0]["permissions"])
    raw = requests.get(f"{control.base}/keys", params={"exchange": exchange}, timeout=10).text
    assert created["secret"] not in raw
    assert PASSPHRASE not in raw

    control.delete_key(created["api_key"])
    assert control.keys(exchange, account) == []
    with pytest.raises(ControlError, match="404"):
        control.delete_key(created["api_key"])


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_deposit_transfer_and_balances(sandbox: SandboxServer, control: Control, account: str, exchange: str) -> None:
    layout = sandbox.venue(exchange).layout
    funding, trading = layout.funding, layout.wallet_for(Market.SPOT)
    after = control.deposit(exchange, account, funding, "USDT", "1000.5")
    assert after["wallets"][funding] == {"USDT": {"free": "1000.5", "locked": "0"}}

    body = {"exchange": exchange, "account": account, "wallet": funding, "to_wallet": trading}
    moved = control.request("POST", "/transfers", json={**body, "asset": "USDT", "amount": "400"})
    assert moved["wallets"][funding]["USDT"]["free"] == "600.5"
    assert moved["wallets"][trading]["USDT"]["free"] == "400"

    balances = control.balances(exchange, account)
    assert balances["wallets"] == moved["wallets"]
    if trading in layout.margin_wallets:
        assert balances["margin"]["available"] == "400"


def test_prices_can_be_pinned_and_read(fresh_sandbox: SandboxServer) -> None:
    control = Control(fresh_sandbox.url)
    for exchange in EXCHANGES:
        control.set_price(exchange, "BTC/USDT", "42424.2")
        prices = control.request("GET", "/prices", params={"exchange": exchange})
        assert Decimal(prices["BTC/USDT"]) == Decimal("42424.2")


def test_faults_are_added_listed_and_cleared(fresh_sandbox: SandboxServer) -> None:
    control = Control(fresh_sandbox.url)
    exchange = EXCHANGES[0]
    control.fault(exchange, "latency", ms=5, count=3)
    control.fault(exchange, "clock_offset", ms=-2000)
    listed = control.request("GET", "/faults", params={"exchange": exchange})["faults"]
    assert {f["kind"] for f in listed} == {"latency", "clock_offset"}
    assert fresh_sandbox.venue(exchange).clock.offset_ms == -2000
    control.clear_faults()
    assert control.request("GET", "/faults", params={"exchange": exchange})["faults"] == []
    assert fresh_sandbox.venue(exchange).clock.offset_ms == 0


def test_trading_can_be_switched_off_and_on(sandbox: SandboxServer, control: Control, account: str) -> None:
    exchange = EXCHANGES[0]
    control.set_trading(exchange, account, False)
    assert sandbox.venue(exchange).account(account).trading_enabled is False
    control.set_trading(exchange, account, True)
    assert sandbox.venue(exchange).account(account).trading_enabled is True


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_an_account_can_be_frozen_apart_from_its_trading_flag(
    sandbox: SandboxServer, control: Control, account: str, exchange: str
) -> None:
    assert control.set_account(exchange, account, frozen=True) == {
        "account": account,
        "trading_enabled": True,
        "frozen": True,
    }
    acct = sandbox.venue(exchange).account(account)
    assert (acct.frozen, acct.may_trade) == (True, False)
    both = control.set_account(exchange, account, trading_enabled=False, frozen=False)
    assert (both["trading_enabled"], both["frozen"]) == (False, False)
    assert (acct.frozen, acct.trading_enabled) == (False, False)


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_orders_placed_through_ccxt_are_listed_per_account(
    sandbox: SandboxServer, control: Control, account: str, exchange: str
) -> None:
    control.deposit(exchange, account, sandbox.venue(exchange).layout.wallet_for(Market.SPOT), "USDT", "1000")
    client = sync_client(exchange, sandbox.url, trading_key(control, exchange, account))
    placed = client.create_order("BTC/USDT", "limit", "buy", 0.001, 30000)
    orders = control.orders(exchange, account)
    assert [(o["order_id"], o["status"], o["side"]) for o in orders] == [(str(placed["id"]), "new", "buy")]
    assert (Decimal(orders[0]["qty"]), Decimal(orders[0]["price"])) == (Decimal("0.001"), Decimal(30000))
    assert control.orders(exchange, f"{account}-other") == []
