"""Bybit v5 through ccxt: the Unified Trading Account (UTA) for spot and USDT perpetuals, plus Funding.

Facts (shared/reference/exchanges.md §3): ``GET /v5/user/query-api`` answers for any key and
gives its rights (``permissions``: ``Spot: [SpotTrade]``, ``ContractTrade: [Order, Position]``,
``Wallet: [AccountTransfer, SubMemberTransfer, Withdraw]``), its IPs (``["*"]`` means none bound),
``expiredAt`` and ``createdAt``. Every Bybit key can read. Per-coin figures come from
``/v5/account/wallet-balance?accountType=UNIFIED``; the transferable amount from
``/v5/asset/transfer/query-account-coins-balance`` (``availableToWithdraw`` is deprecated for
UNIFIED since 9 Jan 2025). 10003 covers an unknown key and a key of another environment alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from ..domain.balance import Figures
from ..domain.market import Market
from ..domain.policy import ExchangeTerms, KeyFacts, Permission
from ..domain.verdicts import Verdict
from ..sandbox.layout import DEMO_PATHS
from .base import CallFailed, Environment, ExchangeAdapter, ExchangeStatus, OtherEnvironment, decimal
from .errors import ErrorTable

ERRORS = ErrorTable(
    code_fields=("retCode",),
    codes={
        # "Check whether the key and domain are matched, there are 4 env": an unknown key or one of
        # another environment; run_check probes the others (other_environment_accepts_key).
        "10003": Verdict.INVALID_KEY,
        "10007": Verdict.INVALID_KEY,
        "10004": Verdict.INVALID_SIGNATURE,
        "10002": Verdict.CLOCK_SKEW,
        "10005": Verdict.MISSING_PERMISSION,
        "10006": Verdict.RATE_LIMITED,
        "10018": Verdict.RATE_LIMITED,
        "403": Verdict.RATE_LIMITED,  # "access too frequent": the IP limit (600 requests / 5 s)
        "10010": Verdict.IP_NOT_ALLOWED,
        "33004": Verdict.KEY_EXPIRED,  # derivatives "Your api key has expired"
        "-2015": Verdict.KEY_EXPIRED,  # spot "Your api key has expired"
        "10009": Verdict.WRONG_ENVIRONMENT,  # region restricted
        "10008": Verdict.ACCOUNT_RESTRICTED,
        "10024": Verdict.ACCOUNT_RESTRICTED,
        "10027": Verdict.ACCOUNT_RESTRICTED,
        "10028": Verdict.ACCOUNT_RESTRICTED,  # "can only be accessed by unified account users"
        "10016": Verdict.EXCHANGE_UNAVAILABLE,
        "10000": Verdict.EXCHANGE_UNAVAILABLE,
    },
)

TERMS = ExchangeTerms(
    exchange="Bybit",
    key_settings="Account → API → Edit",
    labels={
        Permission.READ: ("Read-Only or Read-Write",),
        Permission.SPOT_TRADE: ("Spot — Trade",),
        Permission.FUTURES_TRADE: ("Contracts — Orders and Positions",),
        Permission.WITHDRAW: ("Assets — Withdrawal",),
        Permission.TRANSFER: ("Assets — Account Transfer", "Subaccount Transfer"),
    },
)

_COINS_PER_QUERY = 10  # query-account-coins-balance takes at most 10 coins for UNIFIED


def _iso(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _result(response: dict[str, Any]) -> dict[str, Any]:
    result = response.get("result")
    return result if isinstance(result, dict) else {}


class BybitAdapter(ExchangeAdapter):
    name = "bybit"
    terms = TERMS
    errors = ERRORS
    timestamp_window_ms = 5000  # recv_window default 5000, at most 1000 ms ahead
    sandbox_demo_path = DEMO_PATHS["bybit"]

    @classmethod
    def sandbox_api_urls(cls, base_url: str) -> dict[str, str]:
        # ccxt bybit's urls['api'] groups; paths start at /v5 (exchanges.md §3.7).
        return {group: base_url for group in ("spot", "futures", "v2", "public", "private")}

    def gateway_options(self) -> Mapping[str, Any]:
        return {
            "fetchMarkets": {"types": ["spot", "linear"]},
            "fetchCurrencies": False,
            # tradebind trades Bybit's Unified Trading Account only (the check reads UNIFIED
            # wallets): stating it spares ccxt's unrecorded account-type probe (query-api +
            # account/info) before the first order of every client (ccxt bybit.is_unified_enabled).
            "enableUnifiedMargin": False,
            "enableUnifiedAccount": True,
            "unifiedMarginStatus": 6,
        }

    async def set_leverage(self, leverage: int, symbol: str) -> None:
        try:
            await self.client.set_leverage(leverage, symbol, {})
        except ccxt_async.BadRequest as exc:
            # Already in force: v5 position/set-leverage answers 110043 "leverage not modified".
            if '"retCode":110043' not in str(exc).replace(" ", ""):
                raise

    def account_name(self, market: Market) -> str:
        return "Unified Trading"

    def transfer_route(self, market: Market) -> str:
        return "Assets → Transfer, from Funding to Unified Trading"

    def environment_name(self, environment: Environment) -> str:
        if environment is Environment.LIVE:
            return "bybit.com"
        # A sandbox serves Bybit's demo trading (api-demo.bybit.com); ccxt's testnet mode is api-testnet.
        return "Bybit demo trading" if self.endpoint.sandbox_url is not None else "Bybit testnet"

    def other_environments(self) -> Sequence[OtherEnvironment]:
        # ccxt's urls: 'test' (api-testnet.bybit.com), 'demotrading' (api-demo.bybit.com); after
        # set_sandbox_mode the live ones are kept in 'apiBackup' (exchanges.md §3).
        if self.endpoint.sandbox_url is not None:
            return super().other_environments()
        urls = self.client.urls
        demo = OtherEnvironment("Bybit demo trading", urls["demotrading"])
        if self.endpoint.environment is Environment.TESTNET:
            return (OtherEnvironment("bybit.com", urls["apiBackup"]), demo)
        return (OtherEnvironment("Bybit testnet", urls["test"]), demo)

    async def environment_probe(self) -> None:
        # The unified wallet: answered on mainnet, testnet and demo trading (demo.mdx lists it).
        await self.call(
            "GET /v5/account/wallet-balance", self.client.privateGetV5AccountWalletBalance, {"accountType": "UNIFIED"}
        )

    async def server_time(self) -> int:
        response = await self.call("GET /v5/market/time", self.client.publicGetV5MarketTime)
        return int(_result(response)["timeNano"]) // 1_000_000

    async def status(self) -> ExchangeStatus:
        response = await self.call("GET /v5/system/status", self.client.publicGetV5SystemStatus)
        ongoing = [e for e in _result(response).get("list", []) if e.get("state") == "ongoing"]
        if ongoing:
            return ExchangeStatus(False, "; ".join(str(e.get("title", "maintenance")) for e in ongoing))
        return ExchangeStatus(True, "no ongoing maintenance")

    async def key_facts(self) -> KeyFacts:
        info = _result(await self.call("GET /v5/user/query-api", self.client.privateGetV5UserQueryApi))
        granted = info.get("permissions") or {}
        wallet = set(granted.get("Wallet") or [])
        perms = {Permission.READ}  # read-only and read-write keys both read
        if "SpotTrade" in (granted.get("Spot") or []):
            perms.add(Permission.SPOT_TRADE)
        if {"Order", "Position"} & set(granted.get("ContractTrade") or []):
            perms.add(Permission.FUTURES_TRADE)
        if "Withdraw" in wallet:
            perms.add(Permission.WITHDRAW)
        if wallet & {"AccountTransfer", "SubMemberTransfer"}:
            perms.add(Permission.TRANSFER)
        ips = tuple(ip for ip in info.get("ips") or [] if ip and ip != "*")  # "*": no IP bound
        return KeyFacts(
            permissions=frozenset(perms),
            ip_restricted=bool(ips),
            ips=ips,
            expires_at=_iso(info.get("expiredAt")),
            created_at=_iso(info.get("createdAt")),
            account=str(info["userID"]) if info.get("userID") else None,
        )

    async def trading_figures(self, market: Market) -> dict[str, Figures]:
        wallet = await self.call(
            "GET /v5/account/wallet-balance", self.client.privateGetV5AccountWalletBalance, {"accountType": "UNIFIED"}
        )
        accounts = _result(wallet).get("list") or [{}]
        coins = {c["coin"]: c for c in accounts[0].get("coin", [])}
        names = sorted(coins)
        chunks = [names[i : i + _COINS_PER_QUERY] for i in range(0, len(names), _COINS_PER_QUERY)]
        transferable: dict[str, Decimal] = {}
        for rows in await asyncio.gather(*(self._transferable(chunk) for chunk in chunks)):
            transferable.update(rows)
        return {
            name: Figures(
                wallet_balance=decimal(c.get("walletBalance")),
                unrealised_pnl=decimal(c.get("unrealisedPnl")),
                position_margin=decimal(c.get("totalPositionIM")),
                # margin pre-occupied by derivative orders plus funds locked by spot orders
                order_reserved=decimal(c.get("totalOrderIM")) + decimal(c.get("locked")),
                available=transferable.get(name, Decimal(0)),
            )
            for name, c in coins.items()
        }

    async def _transferable(self, coins: list[str]) -> dict[str, Decimal]:
        response = await self.call(
            "GET /v5/asset/transfer/query-account-coins-balance",
            self.client.privateGetV5AssetTransferQueryAccountCoinsBalance,
            {"accountType": "UNIFIED", "coin": ",".join(coins)},
        )
        return {r["coin"]: decimal(r.get("transferBalance")) for r in _result(response).get("balance", [])}

    async def funding_holdings(self) -> dict[str, Decimal]:
        response = await self.call(
            "GET /v5/asset/transfer/query-account-coins-balance",
            self.client.privateGetV5AssetTransferQueryAccountCoinsBalance,
            {"accountType": "FUND"},
        )
        rows = _result(response).get("balance", [])
        return {r["coin"]: decimal(r.get("transferBalance")) for r in rows if decimal(r.get("transferBalance")) > 0}

    async def prices(self, assets: list[str], quote: str) -> dict[str, Decimal]:
        async def one(asset: str) -> tuple[str, Decimal | None]:
            try:
                r = await self.call(
                    "GET /v5/market/tickers",
                    self.client.publicGetV5MarketTickers,
                    {"category": "spot", "symbol": f"{asset}{quote}"},
                )
            except CallFailed:
                return asset, None
            rows = _result(r).get("list") or []
            return asset, decimal(rows[0].get("lastPrice")) if rows else None

        found = await asyncio.gather(*(one(a) for a in assets))
        return {a: p for a, p in found if p is not None}
