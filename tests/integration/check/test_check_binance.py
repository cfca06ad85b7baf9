"""Binance-only verdicts: -2015 resolution, environments, trading-authority expiry, key age, restricted and
frozen accounts, clock, valuation through the ticker.

``KEY_EXPIRED`` cannot be produced for Binance: Binance has no distinct expiry code (an expired key
is refused with the same -2015 as an unknown one, exchanges.md §1.4), so the check reports it as
``INVALID_KEY`` naming the possible causes; only the trading authority's expiry date is known in
advance (the ``EXPIRES_SOON`` warning below).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradebind.domain.market import Market
from tradebind.domain.policy import CheckPolicy
from tradebind.domain.verdicts import Verdict
from tradebind.exchanges.base import Environment

from .support import HERE, OTHER, check, codes, fund, new_key, trading_key, valued_btc

pytestmark = pytest.mark.parametrize("market", list(Market), ids=[m.value for m in Market])


async def test_ip_off_the_allow_list_is_told_apart_from_an_invalid_key(sandbox, control, account, market):
    # Binance answers -2015 for both; the key working from another egress address shows it is the IP.
    creds = trading_key(control, "binance", market, account, ips=[OTHER])
    policy = CheckPolicy(egress_ips=(HERE, OTHER))
    report = await check(sandbox.url, "binance", market, creds, policy=policy, source_ip=HERE)
    assert report.decision.verdict is Verdict.IP_NOT_ALLOWED
    assert f"Binance accepts the key from {OTHER} but not from {HERE}" in report.decision.fix
    calls = [(e.call, e.ok) for e in report.evidence if "apiRestrictions" in e.call]
    assert calls == [("GET /sapi/v1/account/apiRestrictions", False), ("GET /sapi/v1/account/apiRestrictions", True)]


async def test_without_another_egress_address_minus_2015_is_an_invalid_key_naming_the_ip(
    sandbox, control, account, market
):
    creds = trading_key(control, "binance", market, account, ips=[OTHER])
    report = await check(sandbox.url, "binance", market, creds, source_ip=HERE)
    assert report.decision.verdict is Verdict.INVALID_KEY
    assert f"make sure {HERE} is on it" in report.decision.fix


async def test_read_only_key_probe_refusal_resolves_to_missing_permission(sandbox, control, account, market):
    key = new_key(control, "binance", account, ["read"], ips=[HERE])
    report = await check(sandbox.url, "binance", market, key)
    probe = next(e for e in report.evidence if "probe" in e.call)
    assert probe.result.startswith("-2015: ")
    # The probe's -2015 came after the permission endpoint answered: permission, not key or IP.
    assert [p.code for p in report.decision.problems] == [Verdict.MISSING_PERMISSION]


async def test_trading_authority_expiring_soon_warns_with_the_date(sandbox, control, account, market):
    expires = datetime.now(UTC) + timedelta(days=3)
    creds = trading_key(control, "binance", market, account, expires_at=expires.isoformat())
    fund(control, "binance", market, account, "100")
    report = await check(sandbox.url, "binance", market, creds)
    assert report.decision.verdict is Verdict.CONNECTED_WITH_WARNINGS
    assert codes(report) == ["EXPIRES_SOON"]
    assert f"expires on {expires:%Y-%m-%d}" in report.decision.fix


async def test_a_connected_check_reads_the_spot_account_once(sandbox, control, account, market):
    # Its uid and (on spot) its balances come from one request: Binance charges 20 weight each.
    creds = trading_key(control, "binance", market, account)
    fund(control, "binance", market, account, "100")
    report = await check(sandbox.url, "binance", market, creds)
    assert report.decision.verdict is Verdict.CONNECTED
    assert [e.call for e in report.evidence].count("GET /api/v3/account") == 1
    assert report.balance is not None
    assert report.balance.total.available == Decimal("100")


async def test_key_a_year_old_warns(sandbox, control, account, market):
    creds = trading_key(control, "binance", market, account)
    fund(control, "binance", market, account, "100")
    a_year_on = datetime.now(UTC) + timedelta(days=400)
    report = await check(sandbox.url, "binance", market, creds, now=lambda: a_year_on)
    assert codes(report) == ["KEY_OLD"]
    assert f"created on {datetime.now(UTC):%Y-%m-%d}" in report.decision.fix


async def test_account_with_trading_disabled_is_restricted(sandbox, control, account, market):
    creds = trading_key(control, "binance", market, account)
    fund(control, "binance", market, account, "100")
    control.set_trading("binance", account, enabled=False)
    report = await check(sandbox.url, "binance", market, creds)
    assert report.decision.verdict is Verdict.ACCOUNT_RESTRICTED
    assert "This action is disabled on this account." in report.decision.fix


async def test_clock_skew_is_reported_only_when_compensation_cannot_help(fresh_sandbox, fresh_control, account, market):
    # All delay before the server reads its clock: the midpoint estimate is off by half the round
    # trip (5.3 s), more than Binance's 5 s recvWindow, on every measurement.
    creds = trading_key(fresh_control, "binance", market, account)
    fresh_control.fault("binance", "latency", ms=10_600)
    report = await check(fresh_sandbox.url, "binance", market, creds)
    assert report.decision.verdict is Verdict.CLOCK_SKEW
    assert "even after correcting for the clock offset" in report.decision.fix
    assert "Binance accepts 5000 ms" in report.decision.fix
    time_calls = [e for e in report.evidence if e.call == "GET /api/v3/time"]
    assert len(time_calls) == 2  # measured, then measured again before the retry


async def test_testnet_key_on_live_is_the_wrong_environment(sandbox, control, account, market):
    # binance.com answers -2015 as for an unknown key; the key working on the testnet tells them apart.
    creds = trading_key(control, "binance", market, account, environment="demo")
    report = await check(sandbox.url, "binance", market, creds)
    assert report.decision.verdict is Verdict.WRONG_ENVIRONMENT
    assert "this key was made on Binance testnet; create one on binance.com" in report.decision.fix
    assert ("Binance testnet: GET /api/v3/account", True) in [(e.call, e.ok) for e in report.evidence]


async def test_testnet_key_on_the_testnet_connects(sandbox, control, account, market):
    creds = trading_key(control, "binance", market, account, environment="demo")
    fund(control, "binance", market, account, "100")
    report = await check(sandbox.url, "binance", market, creds, environment=Environment.TESTNET)
    assert report.decision.verdict is Verdict.CONNECTED
    assert report.environment == "testnet"


async def test_live_key_on_the_testnet_is_the_wrong_environment(sandbox, control, account, market):
    creds = trading_key(control, "binance", market, account)
    report = await check(sandbox.url, "binance", market, creds, environment=Environment.TESTNET)
    assert report.decision.verdict is Verdict.WRONG_ENVIRONMENT
    assert "this key was made on binance.com; create one on Binance testnet" in report.decision.fix


async def test_deleted_key_is_invalid_on_every_environment(sandbox, control, account, market):
    creds = trading_key(control, "binance", market, account)
    control.delete_key(creds.api_key.reveal())
    report = await check(sandbox.url, "binance", market, creds)
    assert report.decision.verdict is Verdict.INVALID_KEY
    assert ("Binance testnet: GET /api/v3/account", False) in [(e.call, e.ok) for e in report.evidence]


async def test_frozen_account_is_restricted_and_still_shows_its_balance(sandbox, control, account, market):
    # Binance still answers reads of a frozen account (canTrade false) and refuses trading with
    # "This action is disabled on this account." (exchanges.md §1.4 "frozen" row).
    creds = trading_key(control, "binance", market, account)
    fund(control, "binance", market, account, "100")
    control.set_account("binance", account, frozen=True)
    report = await check(sandbox.url, "binance", market, creds)
    assert report.decision.verdict is Verdict.ACCOUNT_RESTRICTED
    assert "This action is disabled on this account." in report.decision.fix
    assert "contact its support" in report.decision.fix
    assert report.to_json()["balance"]["total"]["wallet_balance"] == "100"


async def test_assets_are_valued_in_usdt(fresh_sandbox, fresh_control, account, market):
    balance = await valued_btc(fresh_sandbox.url, fresh_control, "binance", market, account)
    btc = next(a for a in balance["assets"] if a["asset"] == "BTC")
    assert (btc["wallet_balance"], btc["price"], btc["value"]["wallet_balance"]) == ("0.01", "50000", "500")
    assert balance["total"]["wallet_balance"] == "600"
    assert balance["funding"] == [{"asset": "BTC", "amount": "0.002", "value": "100"}]
