"""Bybit-only verdicts: expiry and age from query-api, expired key, IP list, environments (10003 for a
key of another of Bybit's four environments), frozen account (10008), clock skew, valuation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradebind.domain.market import Market
from tradebind.domain.policy import CheckPolicy
from tradebind.domain.verdicts import Verdict
from tradebind.exchanges.base import Environment

from .support import HERE, OTHER, check, codes, fund, trading_key, valued_btc

pytestmark = pytest.mark.parametrize("market", list(Market), ids=[m.value for m in Market])


async def test_expiring_key_warns_with_the_date(sandbox, control, account, market):
    expires = datetime.now(UTC) + timedelta(days=5)
    creds = trading_key(control, "bybit", market, account, expires_at=expires.isoformat())
    fund(control, "bybit", market, account, "100")
    report = await check(sandbox.url, "bybit", market, creds)
    assert codes(report) == ["EXPIRES_SOON"]
    assert f"expires on {expires:%Y-%m-%d}" in report.decision.fix


async def test_unbound_key_expires_in_90_days_and_warns_near_the_end(sandbox, control, account, market):
    creds = trading_key(control, "bybit", market, account, ips=[])
    fund(control, "bybit", market, account, "100")
    day_85 = datetime.now(UTC) + timedelta(days=85)
    report = await check(sandbox.url, "bybit", market, creds, now=lambda: day_85)
    assert codes(report) == ["NO_IP_RESTRICTION", "EXPIRES_SOON"]
    assert report.key is not None
    assert report.key.expires_at is not None
    assert timedelta(days=89) < report.key.expires_at - datetime.now(UTC) <= timedelta(days=90)


async def test_key_a_year_old_warns(sandbox, control, account, market):
    creds = trading_key(control, "bybit", market, account)
    fund(control, "bybit", market, account, "100")
    a_year_on = datetime.now(UTC) + timedelta(days=400)
    report = await check(sandbox.url, "bybit", market, creds, now=lambda: a_year_on)
    assert codes(report) == ["KEY_OLD"]


async def test_expired_key(sandbox, control, account, market):
    past = datetime.now(UTC) - timedelta(hours=1)
    creds = trading_key(control, "bybit", market, account, expires_at=past.isoformat())
    report = await check(sandbox.url, "bybit", market, creds)
    assert report.decision.verdict is Verdict.KEY_EXPIRED
    assert "has expired on Bybit" in report.decision.fix


async def test_request_from_an_ip_off_the_list(sandbox, control, account, market):
    creds = trading_key(control, "bybit", market, account, ips=[OTHER])
    report = await check(sandbox.url, "bybit", market, creds, source_ip=HERE)
    assert report.decision.verdict is Verdict.IP_NOT_ALLOWED
    assert "10010" in report.decision.fix


async def test_allow_list_missing_an_egress_ip_names_it(sandbox, control, account, market):
    creds = trading_key(control, "bybit", market, account, ips=["127.0.0.0/30"])
    fund(control, "bybit", market, account, "100")
    policy = CheckPolicy(egress_ips=(HERE, OTHER, "127.0.0.9"))
    report = await check(sandbox.url, "bybit", market, creds, policy=policy)
    assert report.decision.verdict is Verdict.IP_NOT_ALLOWED
    assert report.decision.fix.startswith("Add 127.0.0.9 to the API key's IP allow-list on Bybit")


async def test_transfer_right_is_refused(sandbox, control, account, market):
    from .support import VENUES, new_key

    creds = new_key(control, "bybit", account, [*VENUES["bybit"].trade[market], "transfer"], ips=[HERE])
    report = await check(sandbox.url, "bybit", market, creds)
    assert report.decision.verdict is Verdict.WITHDRAW_ENABLED
    assert "untick “Assets — Account Transfer” / “Subaccount Transfer”" in report.decision.fix


async def test_clock_skew_is_reported_only_when_compensation_cannot_help(fresh_sandbox, fresh_control, account, market):
    # As for Binance: a 10.6 s one-sided delay leaves the estimate 5.3 s off, beyond recv_window 5000.
    creds = trading_key(fresh_control, "bybit", market, account)
    fresh_control.fault("bybit", "latency", ms=10_600)
    report = await check(fresh_sandbox.url, "bybit", market, creds)
    assert report.decision.verdict is Verdict.CLOCK_SKEW
    assert "Bybit accepts 5000 ms" in report.decision.fix


async def test_demo_key_on_live_is_the_wrong_environment(sandbox, control, account, market):
    # bybit.com answers 10003 "Check whether the key and domain are matched, there are 4 env" as for an
    # unknown key; the key working on demo trading tells them apart.
    creds = trading_key(control, "bybit", market, account, environment="demo")
    report = await check(sandbox.url, "bybit", market, creds)
    assert report.decision.verdict is Verdict.WRONG_ENVIRONMENT
    assert "this key was made on Bybit demo trading; create one on bybit.com" in report.decision.fix
    assert ("Bybit demo trading: GET /v5/account/wallet-balance", True) in [(e.call, e.ok) for e in report.evidence]


async def test_demo_key_on_demo_trading_connects(sandbox, control, account, market):
    creds = trading_key(control, "bybit", market, account, environment="demo")
    fund(control, "bybit", market, account, "100")
    report = await check(sandbox.url, "bybit", market, creds, environment=Environment.TESTNET)
    assert report.decision.verdict is Verdict.CONNECTED
    assert report.environment == "testnet"


async def test_live_key_on_demo_trading_is_the_wrong_environment(sandbox, control, account, market):
    creds = trading_key(control, "bybit", market, account)
    report = await check(sandbox.url, "bybit", market, creds, environment=Environment.TESTNET)
    assert report.decision.verdict is Verdict.WRONG_ENVIRONMENT
    assert "this key was made on bybit.com; create one on Bybit demo trading" in report.decision.fix


async def test_deleted_key_is_invalid_on_every_environment(sandbox, control, account, market):
    creds = trading_key(control, "bybit", market, account)
    control.delete_key(creds.api_key.reveal())
    report = await check(sandbox.url, "bybit", market, creds)
    assert report.decision.verdict is Verdict.INVALID_KEY
    assert "10003" in report.decision.fix
    assert ("Bybit demo trading: GET /v5/account/wallet-balance", False) in [(e.call, e.ok) for e in report.evidence]


async def test_frozen_account_is_restricted(sandbox, control, account, market):
    creds = trading_key(control, "bybit", market, account)
    fund(control, "bybit", market, account, "100")
    control.set_account("bybit", account, frozen=True)
    report = await check(sandbox.url, "bybit", market, creds)
    assert report.decision.verdict is Verdict.ACCOUNT_RESTRICTED
    assert "10008: Common banned" in report.decision.fix
    assert "contact its support" in report.decision.fix


async def test_assets_are_valued_in_usdt(fresh_sandbox, fresh_control, account, market):
    # Bybit's UTA holds both markets' funds: the same BTC shows for spot and for futures.
    balance = await valued_btc(fresh_sandbox.url, fresh_control, "bybit", market, account)
    btc = next(a for a in balance["assets"] if a["asset"] == "BTC")
    assert (btc["wallet_balance"], btc["price"], btc["value"]["wallet_balance"]) == ("0.01", "50000", "500")
    assert balance["total"]["wallet_balance"] == "600"
    assert balance["funding"] == [{"asset": "BTC", "amount": "0.002", "value": "100"}]
