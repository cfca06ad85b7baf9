"""Bybit-only verdicts: expiry and age from query-api, expired key, IP list, clock skew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradebind.domain.market import Market
from tradebind.domain.policy import CheckPolicy
from tradebind.domain.verdicts import Verdict

from .support import HERE, OTHER, check, codes, fund, trading_key

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
