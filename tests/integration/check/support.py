"""Helpers for checks against the sandbox: keys per exchange, and running a check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.support.control import Control
from tradebind.check.report import CheckReport
from tradebind.check.run import run_check
from tradebind.domain.market import Market
from tradebind.domain.policy import CheckPolicy
from tradebind.domain.verdicts import Verdict
from tradebind.exchanges.base import ApiCredentials, Endpoint, Environment
from tradebind.exchanges.registry import open_adapter
from tradebind.vault.api import SecretValue

PASSPHRASE = "Canary-Pass-9f3b"
HERE = "127.0.0.1"
OTHER = "127.0.0.2"


@dataclass(frozen=True)
class VenueFacts:
    """How the control API names an exchange's wallets and permissions."""

    trading: dict[Market, str]
    funding: str
    trade: dict[Market, list[str]]
    withdraw: str
    passphrase: bool = False


VENUES = {
    "binance": VenueFacts(
        trading={Market.SPOT: "spot", Market.FUTURES: "futures"},
        funding="funding",
        trade={Market.SPOT: ["read", "spot"], Market.FUTURES: ["read", "futures"]},
        withdraw="withdraw",
    ),
    "okx": VenueFacts(
        trading={Market.SPOT: "trading", Market.FUTURES: "trading"},
        funding="funding",
        trade={Market.SPOT: ["read", "trade"], Market.FUTURES: ["read", "trade"]},
        withdraw="withdraw",
        passphrase=True,
    ),
    "bybit": VenueFacts(
        trading={Market.SPOT: "unified", Market.FUTURES: "unified"},
        funding="funding",
        trade={Market.SPOT: ["read", "spot"], Market.FUTURES: ["read", "futures"]},
        withdraw="withdraw",
    ),
}
COMBOS = [(exchange, market) for exchange in VENUES for market in Market]
COMBO_IDS = [f"{e}-{m.value}" for e, m in COMBOS]


def new_key(control: Control, exchange: str, account: str, permissions: list[str], **extra: Any) -> ApiCredentials:
    """Create a key on the sandbox; OKX keys get :data:`PASSPHRASE`."""
    if VENUES[exchange].passphrase:
        extra.setdefault("passphrase", PASSPHRASE)
    created = control.create_key(exchange, account, permissions, **extra)
    phrase = SecretValue(extra["passphrase"]) if "passphrase" in extra else None
    return ApiCredentials(SecretValue(created["api_key"]), SecretValue(created["secret"]), phrase)


def trading_key(control: Control, exchange: str, market: Market, account: str, **extra: Any) -> ApiCredentials:
    """A key with Read + the market's Trade right, bound to 127.0.0.1 unless ``ips`` is given."""
    extra.setdefault("ips", [HERE])
    return new_key(control, exchange, account, VENUES[exchange].trade[market], **extra)


def fund(control: Control, exchange: str, market: Market, account: str, amount: str, *, funding: bool = False) -> None:
    facts = VENUES[exchange]
    control.deposit(exchange, account, facts.funding if funding else facts.trading[market], "USDT", amount)


async def check(
    base_url: str,
    exchange: str,
    market: Market,
    credentials: ApiCredentials,
    *,
    policy: CheckPolicy | None = None,
    source_ip: str | None = None,
    environment: Environment = Environment.LIVE,
    now: Callable[[], datetime] | None = None,
) -> CheckReport:
    endpoint = Endpoint(environment=environment, sandbox_url=base_url, source_ip=source_ip)
    async with open_adapter(exchange, credentials, endpoint) as adapter:
        if now is None:
            return await run_check(adapter, market, policy)
        return await run_check(adapter, market, policy, now=now)


def codes(report: CheckReport) -> list[str]:
    return [w.code.value for w in report.decision.warnings]


async def valued_btc(base_url: str, control: Control, exchange: str, market: Market, account: str) -> dict[str, Any]:
    """Check an account holding 100 USDT and 0.01 BTC to trade, 0.002 BTC in Funding, BTC at 50000 USDT.

    Returns the report's balance (JSON form) after asserting the check connected. Needs a sandbox of
    the test's own: the price is venue-wide.
    """
    control.set_price(exchange, "BTC/USDT", "50000")
    creds = trading_key(control, exchange, market, account)
    fund(control, exchange, market, account, "100")
    control.deposit(exchange, account, VENUES[exchange].trading[market], "BTC", "0.01")
    control.deposit(exchange, account, VENUES[exchange].funding, "BTC", "0.002")
    report = await check(base_url, exchange, market, creds)
    assert report.decision.verdict is Verdict.CONNECTED, report.decision.fix
    balance: dict[str, Any] = report.to_json()["balance"]
    return balance
