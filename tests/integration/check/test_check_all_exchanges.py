"""Verdicts every exchange produces the same way, for both markets, against the sandbox."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest

from tests.support.clients import sync_client
from tradebind.domain.market import Market
from tradebind.domain.verdicts import Verdict
from tradebind.exchanges.base import ApiCredentials
from tradebind.vault.api import SecretValue

from .support import COMBO_IDS, COMBOS, PASSPHRASE, VENUES, check, codes, fund, new_key, trading_key

pytestmark = pytest.mark.parametrize(("exchange", "market"), COMBOS, ids=COMBO_IDS)

ACCOUNT_NAMES = {"binance": {Market.SPOT: "Spot", Market.FUTURES: "USDⓈ-M Futures"}}


def account_name(exchange: str, market: Market) -> str:
    return ACCOUNT_NAMES.get(exchange, {}).get(market) or {"okx": "Trading", "bybit": "Unified Trading"}[exchange]


async def test_healthy_key_is_connected_with_its_breakdown(sandbox, control, account, exchange, market):
    creds = trading_key(control, exchange, market, account)
    fund(control, exchange, market, account, "1000")
    report = await check(sandbox.url, exchange, market, creds)
    data = report.to_json()
    assert data["verdict"] == "CONNECTED"
    assert data["fix"] == "Nothing to fix: the key is ready for trading."
    assert data["warnings"] == []
    assert data["permissions"]["read"] is True
    assert data["permissions"]["spot_trade" if market is Market.SPOT else "futures_trade"] is True
    assert data["permissions"]["withdraw"] is False
    assert data["ip_restriction"]["restricted"] is True
    # Binance only says whether an allow-list exists; OKX and Bybit list it.
    assert data["ip_restriction"]["ips"] == (None if exchange == "binance" else ["127.0.0.1"])
    balance = data["balance"]
    assert balance["account"] == account_name(exchange, market)
    assert balance["total"] == {
        "wallet_balance": "1000", "unrealised_pnl": "0", "position_margin": "0", "order_reserved": "0",
        "available": "1000",
    }  # fmt: skip
    assert (
        balance["explanation"]
        == f"1,000.00 USDT of the 1,000.00 USDT in the {balance['account']} account is available."
    )
    assert data["clock"]["compensated"] is True
    assert data["exchange_status"]["ok"] is True
    assert all(e["ok"] for e in data["evidence"] if "probe" not in e["call"])


async def test_key_open_to_every_ip_warns(sandbox, control, account, exchange, market):
    creds = trading_key(control, exchange, market, account, ips=[])
    fund(control, exchange, market, account, "500")
    report = await check(sandbox.url, exchange, market, creds)
    assert report.decision.verdict is Verdict.CONNECTED_WITH_WARNINGS
    assert codes(report) == ["NO_IP_RESTRICTION"]
    assert report.decision.fix.startswith("Restrict the API key on ")
    assert report.to_json()["ip_restriction"] == {"restricted": False, "ips": None if exchange == "binance" else []}


async def test_funds_in_funding_account_name_the_amount_and_transfer(sandbox, control, account, exchange, market):
    creds = trading_key(control, exchange, market, account)
    fund(control, exchange, market, account, "250", funding=True)
    report = await check(sandbox.url, exchange, market, creds)
    assert report.decision.verdict is Verdict.CONNECTED_WITH_WARNINGS
    assert codes(report) == ["FUNDS_IN_FUNDING_ACCOUNT"]
    name = account_name(exchange, market)
    assert f"Your Funding account holds 250.00 USDT but bots trade from the {name} account" in report.decision.fix
    assert f"from Funding to {name}" in report.decision.fix
    assert report.balance is not None
    assert report.balance.funding_value == Decimal(250)
    assert report.balance.total.available == 0
    assert report.balance.explanation == (
        f"The {name} account holds no funds (250.00 USDT sits in the Funding account), "
        "so nothing is available to trade."
    )


async def test_open_order_leaving_little_available_is_explained(sandbox, control, account, exchange, market):
    facts = VENUES[exchange]
    extra = {"passphrase": PASSPHRASE} if facts.passphrase else {}
    created = control.create_key(exchange, account, facts.trade[market], ips=["127.0.0.1"], **extra)
    fund(control, exchange, market, account, "100" if market is Market.SPOT else "12")
    raw = {"apiKey": created["api_key"], "secret": created["secret"], **({"password": PASSPHRASE} if extra else {})}
    trader = sync_client(exchange, sandbox.url, raw)
    if market is Market.SPOT:
        trader.create_order("BTC/USDT", "limit", "buy", 0.0016, 60000)  # locks 96 USDT
    else:
        # 0.002 BTC (OKX swaps count contracts of 0.01 BTC); margin: 100 USDT / leverage
        trader.create_order("BTC/USDT:USDT", "limit", "buy", 0.2 if exchange == "okx" else 0.002, 50000)
    creds = ApiCredentials(
        SecretValue(created["api_key"]), SecretValue(created["secret"]), SecretValue(PASSPHRASE) if extra else None
    )
    report = await check(sandbox.url, exchange, market, creds)
    assert report.decision.verdict is Verdict.CONNECTED_WITH_WARNINGS
    assert codes(report) == ["LOW_AVAILABLE_BALANCE"]
    assert report.balance is not None
    total = report.balance.total
    assert total.order_reserved > 0
    assert total.available == total.wallet_balance - total.order_reserved
    if market is Market.SPOT:
        assert (total.wallet_balance, total.order_reserved, total.available) == (Decimal(100), Decimal(96), Decimal(4))
    reserved = f"{total.order_reserved.quantize(Decimal('0.01')):,}"
    assert f"{reserved} USDT is reserved by open orders" in report.balance.explanation
    assert report.decision.fix.startswith(report.balance.explanation)


async def test_key_that_can_withdraw_is_refused(sandbox, control, account, exchange, market):
    perms = [*VENUES[exchange].trade[market], VENUES[exchange].withdraw]
    creds = new_key(control, exchange, account, perms, ips=["127.0.0.1"])
    fund(control, exchange, market, account, "100")
    report = await check(sandbox.url, exchange, market, creds)
    assert report.decision.verdict is Verdict.WITHDRAW_ENABLED
    label = {"binance": "“Enable Withdrawals”", "okx": "“Withdraw”", "bybit": "“Assets — Withdrawal”"}[exchange]
    assert f"untick {label}" in report.decision.fix
    assert report.to_json()["permissions"]["withdraw"] is True
    assert report.balance is not None  # the breakdown is still shown


async def test_read_only_key_names_the_trade_checkbox(sandbox, control, account, exchange, market):
    creds = new_key(control, exchange, account, ["read"], ips=["127.0.0.1"])
    report = await check(sandbox.url, exchange, market, creds)
    assert report.decision.verdict is Verdict.MISSING_PERMISSION
    label = {
        ("binance", Market.SPOT): "“Enable Spot & Margin Trading”",
        ("binance", Market.FUTURES): "“Enable Futures”",
        ("okx", Market.SPOT): "“Trade”",
        ("okx", Market.FUTURES): "“Trade”",
        ("bybit", Market.SPOT): "“Spot — Trade”",
        ("bybit", Market.FUTURES): "“Contracts — Orders and Positions”",
    }[exchange, market]
    assert f"and tick {label}: {market.value} trading needs it." in report.decision.fix


async def test_deleted_key_is_invalid(sandbox, control, account, exchange, market):
    creds = trading_key(control, exchange, market, account)
    control.delete_key(creds.api_key.reveal())
    report = await check(sandbox.url, exchange, market, creds)
    assert report.decision.verdict is Verdict.INVALID_KEY
    assert "does not recognise this API key" in report.decision.fix
    assert report.key is None
    assert report.balance is None


async def test_wrong_secret_is_an_invalid_signature(sandbox, control, account, exchange, market):
    creds = trading_key(control, exchange, market, account)
    other = trading_key(control, exchange, market, account)
    mixed = ApiCredentials(creds.api_key, other.secret, creds.passphrase)
    report = await check(sandbox.url, exchange, market, mixed)
    assert report.decision.verdict is Verdict.INVALID_SIGNATURE
    assert report.decision.fix.startswith("The API secret does not belong to this key")


async def test_maintenance_is_exchange_unavailable(fresh_sandbox, fresh_control, account, exchange, market):
    creds = trading_key(fresh_control, exchange, market, account)
    fresh_control.fault(exchange, "maintenance")
    report = await check(fresh_sandbox.url, exchange, market, creds)
    assert report.decision.verdict is Verdict.EXCHANGE_UNAVAILABLE
    assert "reports maintenance or is not answering" in report.decision.fix
    assert report.status is not None
    assert report.status.ok is False


async def test_rate_limit_is_reported(fresh_sandbox, fresh_control, account, exchange, market):
    creds = trading_key(fresh_control, exchange, market, account)
    fund(fresh_control, exchange, market, account, "100")
    fresh_control.fault(exchange, "rate_limit", weight_per_minute=1)
    # OKX and Bybit count per endpoint: the first check uses up the budget, the second is refused.
    report = await check(fresh_sandbox.url, exchange, market, creds)
    if report.decision.verdict is not Verdict.RATE_LIMITED:
        report = await check(fresh_sandbox.url, exchange, market, creds)
    assert report.decision.verdict is Verdict.RATE_LIMITED
    assert "is rate-limiting requests from here" in report.decision.fix


async def test_unreachable_exchange_is_a_network_error(control, account, exchange, market):
    creds = trading_key(control, exchange, market, account)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    report = await check(f"http://127.0.0.1:{closed_port}", exchange, market, creds)
    assert report.decision.verdict is Verdict.NETWORK_ERROR
    assert "could not reach" in report.decision.fix
    assert [e.call for e in report.evidence] == [report.evidence[0].call]  # stopped after the first call


async def test_server_clock_offset_is_compensated(fresh_sandbox, fresh_control, account, exchange, market):
    creds = trading_key(fresh_control, exchange, market, account)
    fund(fresh_control, exchange, market, account, "100")
    fresh_control.fault(exchange, "clock_offset", ms=-45_000)  # beyond every exchange's window
    report = await check(fresh_sandbox.url, exchange, market, creds)
    assert report.decision.verdict is Verdict.CONNECTED
    assert report.clock is not None
    assert abs(report.clock.offset_ms + 45_000) < 2_000
    assert report.clock_compensated
