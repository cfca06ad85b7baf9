"""OKX-only verdicts: passphrase, environment (demo vs live), expired key, IP list from account/config,
frozen account (50007), valuation through the ticker.

``CLOCK_SKEW`` is not produced here: OKX accepts timestamps within ±30 s (50102), and the check
compensates the measured offset, so only a one-sided delay of more than 60 s per request would
leave it outside the window; a test waiting minutes proves nothing the Binance and Bybit clock
tests do not. OKX's window itself is unit-tested on the pure timestamp check
(tests/integration/sandbox_okx/test_signing.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradebind.domain.market import Market
from tradebind.domain.policy import CheckPolicy
from tradebind.domain.verdicts import Verdict
from tradebind.exchanges.base import ApiCredentials, Environment
from tradebind.vault.api import SecretValue

from .support import HERE, OTHER, check, fund, trading_key, valued_btc

pytestmark = pytest.mark.parametrize("market", list(Market), ids=[m.value for m in Market])


async def test_wrong_passphrase(sandbox, control, account, market):
    creds = trading_key(control, "okx", market, account)
    wrong = ApiCredentials(creds.api_key, creds.secret, SecretValue("not-the-passphrase"))
    report = await check(sandbox.url, "okx", market, wrong)
    assert report.decision.verdict is Verdict.INVALID_PASSPHRASE
    assert "not your login password" in report.decision.fix


async def test_demo_key_on_live_is_the_wrong_environment(sandbox, control, account, market):
    creds = trading_key(control, "okx", market, account, environment="demo")
    report = await check(sandbox.url, "okx", market, creds)
    assert report.decision.verdict is Verdict.WRONG_ENVIRONMENT
    assert "50101" in report.decision.fix


async def test_demo_key_with_testnet_connects(sandbox, control, account, market):
    creds = trading_key(control, "okx", market, account, environment="demo")
    fund(control, "okx", market, account, "100")
    report = await check(sandbox.url, "okx", market, creds, environment=Environment.TESTNET)
    assert report.decision.verdict is Verdict.CONNECTED
    assert report.environment == "testnet"


async def test_live_key_on_demo_is_the_wrong_environment(sandbox, control, account, market):
    creds = trading_key(control, "okx", market, account)
    report = await check(sandbox.url, "okx", market, creds, environment=Environment.TESTNET)
    assert report.decision.verdict is Verdict.WRONG_ENVIRONMENT


async def test_expired_key(sandbox, control, account, market):
    past = datetime.now(UTC) - timedelta(days=1)
    creds = trading_key(control, "okx", market, account, expires_at=past.isoformat())
    report = await check(sandbox.url, "okx", market, creds)
    assert report.decision.verdict is Verdict.KEY_EXPIRED
    assert "50119 API key doesn't exist" in report.decision.fix
    assert "after 14 days unused" in report.decision.fix


async def test_request_from_an_ip_off_the_list(sandbox, control, account, market):
    creds = trading_key(control, "okx", market, account, ips=[OTHER])
    report = await check(sandbox.url, "okx", market, creds, source_ip=HERE)
    assert report.decision.verdict is Verdict.IP_NOT_ALLOWED
    assert f"Your IP {HERE} is not included" in report.decision.fix


async def test_allow_list_missing_an_egress_ip_names_it(sandbox, control, account, market):
    creds = trading_key(control, "okx", market, account, ips=[HERE])
    fund(control, "okx", market, account, "100")
    policy = CheckPolicy(egress_ips=(HERE, "198.51.100.7"))
    report = await check(sandbox.url, "okx", market, creds, policy=policy)
    assert report.decision.verdict is Verdict.IP_NOT_ALLOWED
    assert report.decision.fix.startswith("Add 198.51.100.7 to the API key's IP allow-list on OKX")
    assert report.to_json()["ip_restriction"] == {"restricted": True, "ips": [HERE]}


async def test_assets_are_valued_in_usdt(fresh_sandbox, fresh_control, account, market):
    balance = await valued_btc(fresh_sandbox.url, fresh_control, "okx", market, account)
    btc = next(a for a in balance["assets"] if a["asset"] == "BTC")
    assert (btc["wallet_balance"], btc["price"], btc["value"]["wallet_balance"]) == ("0.01", "50000", "500")
    assert balance["total"]["wallet_balance"] == "600"
    assert balance["funding"] == [{"asset": "BTC", "amount": "0.002", "value": "100"}]


async def test_frozen_account_is_restricted(sandbox, control, account, market):
    creds = trading_key(control, "okx", market, account)
    fund(control, "okx", market, account, "100")
    control.set_account("okx", account, frozen=True)
    report = await check(sandbox.url, "okx", market, creds)
    assert report.decision.verdict is Verdict.ACCOUNT_RESTRICTED
    assert "50007: User blocked." in report.decision.fix
    assert "contact its support" in report.decision.fix
