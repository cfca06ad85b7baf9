"""OKX v5 through ccxt: one unified trading account for spot and USDT swaps, plus Funding.

Facts (shared/reference/exchanges.md §2): the key's rights and IP list come from
``GET /api/v5/account/config`` (``perm``: ``read_only``, ``trade``, ``withdraw``; ``ip``: "" when
none); OKX's Trade right includes moving funds between one's own accounts, so only ``withdraw``
counts as fund-moving here. The passphrase goes to ccxt as ``password``. Demo trading is the same
host with ``x-simulated-trading: 1`` (ccxt ``set_sandbox_mode``); a key of the other environment
gets 50101. ccxt leaves 50119 / 50120 / 50121 / 50035 / 50061 unmapped, so every code is ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..domain.balance import Figures
from ..domain.market import Market
from ..domain.policy import ExchangeTerms, KeyFacts, Permission
from ..domain.verdicts import Verdict
from .base import CallFailed, ExchangeAdapter, ExchangeStatus, decimal
from .errors import ErrorTable, Failure

ERRORS = ErrorTable(
    # Order endpoints report per item (``data[].sCode``) under a top-level "1"; try that first.
    code_fields=("sCode", "code"),
    codes={
        "50111": Verdict.INVALID_KEY,
        "50103": Verdict.INVALID_KEY,
        "50114": Verdict.INVALID_KEY,
        # "API key doesn't exist": deleted for inactivity (14 days without an IP list) or expired.
        "50119": Verdict.KEY_EXPIRED,
        "50101": Verdict.WRONG_ENVIRONMENT,
        "50121": Verdict.WRONG_ENVIRONMENT,  # "You can't access our services through the IP address"
        "50105": Verdict.INVALID_PASSPHRASE,
        "50104": Verdict.INVALID_PASSPHRASE,
        "50113": Verdict.INVALID_SIGNATURE,
        "50102": Verdict.CLOCK_SKEW,
        "50110": Verdict.IP_NOT_ALLOWED,
        "50035": Verdict.IP_NOT_ALLOWED,  # "This endpoint requires that APIKey must be bound to IP"
        "50120": Verdict.MISSING_PERMISSION,
        "50030": Verdict.MISSING_PERMISSION,
        "50011": Verdict.RATE_LIMITED,
        "50061": Verdict.RATE_LIMITED,
        "50001": Verdict.EXCHANGE_UNAVAILABLE,
        "50013": Verdict.EXCHANGE_UNAVAILABLE,
        "50026": Verdict.EXCHANGE_UNAVAILABLE,
        "50004": Verdict.EXCHANGE_UNAVAILABLE,
        "50007": Verdict.ACCOUNT_RESTRICTED,
        "50009": Verdict.ACCOUNT_RESTRICTED,
        "50027": Verdict.ACCOUNT_RESTRICTED,
        "50029": Verdict.ACCOUNT_RESTRICTED,
        "50100": Verdict.ACCOUNT_RESTRICTED,  # "API frozen, please contact customer service."
        "51024": Verdict.ACCOUNT_RESTRICTED,
    },
)

TERMS = ExchangeTerms(
    exchange="OKX",
    key_settings="Profile → API keys → Edit",
    labels={
        Permission.READ: ("Read",),
        Permission.SPOT_TRADE: ("Trade",),
        Permission.FUTURES_TRADE: ("Trade",),
        Permission.WITHDRAW: ("Withdraw",),
        Permission.TRANSFER: ("Withdraw",),
    },
)

_PERMS = {
    "read_only": (Permission.READ,),
    "trade": (Permission.READ, Permission.SPOT_TRADE, Permission.FUTURES_TRADE),
    "withdraw": (Permission.WITHDRAW,),
}


def _data(response: dict[str, object]) -> list[dict[str, object]]:
    data = response.get("data")
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


class OkxAdapter(ExchangeAdapter):
    name = "okx"
    terms = TERMS
    errors = ERRORS
    timestamp_window_ms = 30_000  # "differs from server time by more than 30 seconds" → 50102

    @classmethod
    def sandbox_api_urls(cls, base_url: str) -> dict[str, str]:
        # ccxt okx appends '/api/v5/<path>' to urls['api']['rest'] (exchanges.md §2.7).
        return {"rest": base_url}

    def gateway_options(self) -> Mapping[str, Any]:
        return {"fetchMarkets": {"types": ["spot", "swap"]}, "fetchCurrencies": False}

    async def set_leverage(self, leverage: int, symbol: str) -> None:
        # Cross margin: the margin mode tradebind's orders use.
        await self.client.set_leverage(leverage, symbol, {"marginMode": "cross"})

    def account_name(self, market: Market) -> str:
        return "Trading"

    def transfer_route(self, market: Market) -> str:
        return "Assets → Transfer, from Funding to Trading"

    async def server_time(self) -> int:
        response = await self.call("GET /api/v5/public/time", self.client.publicGetPublicTime)
        return int(str(_data(response)[0]["ts"]))

    async def status(self) -> ExchangeStatus:
        response = await self.call("GET /api/v5/system/status", self.client.publicGetSystemStatus)
        ongoing = [e for e in _data(response) if e.get("state") == "ongoing"]
        if ongoing:
            return ExchangeStatus(False, "; ".join(str(e.get("title", "maintenance")) for e in ongoing))
        return ExchangeStatus(True, "no ongoing maintenance")

    async def key_facts(self) -> KeyFacts:
        response = await self.call("GET /api/v5/account/config", self.client.privateGetAccountConfig)
        config = _data(response)[0]
        perms = {p for name in str(config.get("perm", "")).split(",") for p in _PERMS.get(name.strip(), ())}
        ips = tuple(ip.strip() for ip in str(config.get("ip", "")).split(",") if ip.strip())
        # account/config returns no expiry or creation date (exchanges.md §2.2).
        uid = str(config.get("uid") or "")
        return KeyFacts(permissions=frozenset(perms), ip_restricted=bool(ips), ips=ips, account=uid or None)

    async def trading_figures(self, market: Market) -> dict[str, Figures]:
        response = await self.call("GET /api/v5/account/balance", self.client.privateGetAccountBalance)
        details = _data(response)[0].get("details", []) if _data(response) else []
        figures = {}
        for d in details if isinstance(details, list) else []:
            figures[str(d["ccy"])] = Figures(
                wallet_balance=decimal(d.get("cashBal")),
                unrealised_pnl=decimal(d.get("upl")),
                position_margin=decimal(d.get("imr")),
                order_reserved=decimal(d.get("ordFrozen")),
                available=decimal(d.get("availBal")),
            )
        return figures

    async def funding_holdings(self) -> dict[str, Decimal]:
        response = await self.call("GET /api/v5/asset/balances", self.client.privateGetAssetBalances)
        return {str(r["ccy"]): decimal(r.get("availBal")) for r in _data(response) if decimal(r.get("availBal")) > 0}

    async def prices(self, assets: list[str], quote: str) -> dict[str, Decimal]:
        async def one(asset: str) -> tuple[str, Decimal | None]:
            try:
                r = await self.call(
                    "GET /api/v5/market/ticker", self.client.publicGetMarketTicker, {"instId": f"{asset}-{quote}"}
                )
            except CallFailed:
                return asset, None
            rows = _data(r)
            return asset, decimal(rows[0].get("last")) if rows else None

        found = await asyncio.gather(*(one(a) for a in assets))
        return {a: p for a, p in found if p is not None}

    def failure_detail(self, verdict: Verdict, failure: Failure) -> str:
        if failure.code == "50119":
            return (
                "50119 API key doesn't exist: OKX deletes keys without an IP list after 14 days unused; keys "
                "of a regional OKX (US, EEA, AU) work only on that region's domain"
            )
        return super().failure_detail(verdict, failure)
