"""Binance: spot (``/api/v3``), wallet (``/sapi``) and USDⓈ-M futures (``/fapi``) through ccxt.

Facts (shared/reference/exchanges.md §1): the key's rights come from
``GET /sapi/v1/account/apiRestrictions`` (flags; the IP list itself is not returned, only
``ipRestrict``). Spot trades from the Spot wallet, USDⓈ-M futures from the USDⓈ-M Futures wallet;
the Funding wallet never trades. Binance answers -2015 "Invalid API-key, IP, or permissions" for an
unknown key, an IP off the allow-list and a missing permission alike; :meth:`resolve` tells them
apart. ccxt quirks: a -2015 after any successful private call becomes ``DDoSProtection`` (so we
classify by the code in the body), and in ccxt 4.5.90 Python "this account" messages were
transpiled to "self account" and never match (so we match those messages ourselves).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..domain.balance import Figures
from ..domain.market import Market
from ..domain.policy import ExchangeTerms, KeyFacts, Permission
from ..domain.verdicts import Verdict
from ..sandbox.layout import DEMO_PATHS
from .base import CallFailed, Environment, ExchangeAdapter, ExchangeStatus, OtherEnvironment, decimal
from .errors import ErrorTable, Failure

# Code (or exact message) → verdict; None: -2015 needs resolving (see module doc).
ERRORS = ErrorTable(
    code_fields=("code",),
    codes={
        "-2015": None,
        "-2014": Verdict.INVALID_KEY,  # API-key format invalid
        "-1022": Verdict.INVALID_SIGNATURE,
        "-1021": Verdict.CLOCK_SKEW,
        "-1002": Verdict.MISSING_PERMISSION,
        "-1003": Verdict.RATE_LIMITED,
        "-1015": Verdict.RATE_LIMITED,
        "-1008": Verdict.EXCHANGE_UNAVAILABLE,
        "-1016": Verdict.EXCHANGE_UNAVAILABLE,
        "-1007": Verdict.EXCHANGE_UNAVAILABLE,
        "-1011": Verdict.IP_NOT_ALLOWED,  # USDⓈ-M "This IP cannot access this route."
        "-2017": Verdict.ACCOUNT_RESTRICTED,  # "API Keys are locked on this account."
        "-4087": Verdict.ACCOUNT_RESTRICTED,
        "-4088": Verdict.ACCOUNT_RESTRICTED,
        "-4192": Verdict.ACCOUNT_RESTRICTED,
        "1": Verdict.EXCHANGE_UNAVAILABLE,  # {"code":1,"msg":"System is under maintenance."}
    },
    messages={
        "System is under maintenance.": Verdict.EXCHANGE_UNAVAILABLE,
        "This action is disabled on this account.": Verdict.ACCOUNT_RESTRICTED,
        "This account may not place or cancel orders.": Verdict.ACCOUNT_RESTRICTED,
        "Rest API trading is not enabled.": Verdict.ACCOUNT_RESTRICTED,
    },
)

TERMS = ExchangeTerms(
    exchange="Binance",
    key_settings="Account → API Management → Edit restrictions",
    labels={
        Permission.READ: ("Enable Reading",),
        Permission.SPOT_TRADE: ("Enable Spot & Margin Trading",),
        Permission.FUTURES_TRADE: ("Enable Futures",),
        Permission.WITHDRAW: ("Enable Withdrawals",),
        Permission.TRANSFER: ("Permits Universal Transfer", "Enable Internal Transfer"),
    },
)

# The API groups ccxt's binance client signs or reads through, and their paths (exchanges.md §1.7:
# urls['api'] is a dict keyed by group; override every group a code path touches).
_GROUPS = {
    "public": "api/v3", "private": "api/v3", "v1": "api/v1",
    "sapi": "sapi/v1", "sapiV2": "sapi/v2", "sapiV3": "sapi/v3", "sapiV4": "sapi/v4",
    "fapiPublic": "fapi/v1", "fapiPublicV2": "fapi/v2", "fapiPublicV3": "fapi/v3",
    "fapiPrivate": "fapi/v1", "fapiPrivateV2": "fapi/v2", "fapiPrivateV3": "fapi/v3",
    "fapiData": "futures/data",
    "dapiPublic": "dapi/v1", "dapiPrivate": "dapi/v1", "dapiPrivateV2": "dapi/v2", "dapiData": "dapi/futures-data",
    "eapiPublic": "eapi/v1", "eapiPrivate": "eapi/v1", "papi": "papi/v1", "papiV2": "papi/v2",
}  # fmt: skip

# A symbol every Binance market lists, for the cancel probe; the order id does not exist.
_PROBE = {"symbol": "BTCUSDT", "orderId": 1}
_UNKNOWN_ORDER = "-2011"  # with "Unknown order sent.": the key may trade, the order just does not exist


def _ms(value: object) -> datetime | None:
    return datetime.fromtimestamp(int(str(value)) / 1000, UTC) if value not in (None, "", 0, "0") else None


class BinanceAdapter(ExchangeAdapter):
    name = "binance"
    terms = TERMS
    errors = ERRORS
    # recvWindow 5000 ms (Binance's default and recommendation) and at most 1000 ms ahead.
    timestamp_window_ms = 5000
    sandbox_demo_path = DEMO_PATHS["binance"]
    # While resolving -2015: the egress address the key was accepted from ("" none; None not tried).
    _accepted_from: str | None = None
    # The spot account information while a request for it is in flight (see _spot_account).
    _account_read: asyncio.Future[Any] | None = None

    @classmethod
    def sandbox_api_urls(cls, base_url: str) -> dict[str, str]:
        return {group: f"{base_url}/{path}" for group, path in _GROUPS.items()}

    def ccxt_options(self) -> Mapping[str, Any]:
        # ccxt's default recvWindow is 10000; Binance recommends 5000 or less.
        return {"recvWindow": 5000}

    def gateway_options(self) -> Mapping[str, Any]:
        return {
            # USDⓈ-M and spot only; skip coin-M and options markets, and the signed currencies call.
            "fetchMarkets": {"types": ["spot", "linear"], "loadAllOptions": False},
            "fetchCurrencies": False,
            # Open orders of all symbols are a deliberate, budgeted request (weight 80 / 40).
            "warnOnFetchOpenOrdersWithoutSymbol": False,
        }

    def position_params(self) -> dict[str, Any]:
        # positionRisk v3 (ccxt's default) dropped ``leverage``; v2 still states it (and weighs
        # the same, 5).
        return {"useV2": True}

    def account_name(self, market: Market) -> str:
        return "Spot" if market is Market.SPOT else "USDⓈ-M Futures"

    def environment_name(self, environment: Environment) -> str:
        return "binance.com" if environment is Environment.LIVE else "Binance testnet"

    def other_environments(self) -> Sequence[OtherEnvironment]:
        # A key of another environment gets -2015 like an unknown key (it does not exist here).
        # ccxt's urls: 'test' (testnet.binance.vision, testnet.binancefuture.com), 'demo'
        # (demo-api.binance.com, demo-fapi.binance.com); after set_sandbox_mode the live ones
        # are kept in 'apiBackup' (exchanges.md §1.1).
        if self.endpoint.sandbox_url is not None:
            return super().other_environments()
        urls = self.client.urls
        if self.endpoint.environment is Environment.TESTNET:
            return (OtherEnvironment("binance.com", urls["apiBackup"]),)
        return (
            OtherEnvironment("Binance testnet", urls["test"]),
            OtherEnvironment("Binance Demo Trading", urls["demo"]),
        )

    async def environment_probe(self) -> None:
        # Spot account information: served by binance.com, the testnet and demo trading alike
        # (the testnets have no /sapi, so not apiRestrictions).
        await self.call("GET /api/v3/account", self.client.privateGetAccount, {"omitZeroBalances": "true"})

    def transfer_route(self, market: Market) -> str:
        return f"Wallet → Transfer, from Funding to {self.account_name(market)}"

    async def server_time(self) -> int:
        response = await self.call("GET /api/v3/time", self.client.publicGetTime)
        return int(response["serverTime"])

    async def status(self) -> ExchangeStatus:
        response = await self.call("GET /sapi/v1/system/status", self.client.sapiGetSystemStatus)
        return ExchangeStatus(str(response.get("status")) == "0", str(response.get("msg", "")))

    async def key_facts(self) -> KeyFacts:
        # apiRestrictions names no account; the spot account information does (``uid``), asked
        # alongside so the check takes no longer.
        r, uid = await asyncio.gather(
            self.call("GET /sapi/v1/account/apiRestrictions", self.client.sapiGetAccountApiRestrictions),
            self._account_uid(),
        )
        flags = {
            Permission.READ: r.get("enableReading"),
            Permission.SPOT_TRADE: r.get("enableSpotAndMarginTrading"),
            Permission.FUTURES_TRADE: r.get("enableFutures"),
            Permission.WITHDRAW: r.get("enableWithdrawals"),
            Permission.TRANSFER: r.get("permitsUniversalTransfer") or r.get("enableInternalTransfer"),
        }
        return KeyFacts(
            permissions=frozenset(p for p, on in flags.items() if on is True),
            ip_restricted=r.get("ipRestrict") is True,
            ips=None,  # Binance says whether a list exists, never what is on it
            # "Expiration time for spot and margin trading permission" (optional field).
            expires_at=_ms(r.get("tradingAuthorityExpirationTime")),
            created_at=_ms(r.get("createTime")),
            account=uid,
        )

    async def _account_uid(self) -> str | None:
        """The key's account id, or None when the call fails, e.g. for a key that may not read
        the account (the permissions themselves are judged from apiRestrictions, not from it)."""
        try:
            account = await self._spot_account()
        except CallFailed:
            return None
        uid = account.get("uid")
        return str(uid) if uid not in (None, "") else None

    async def trading_figures(self, market: Market) -> dict[str, Figures]:
        if market is Market.SPOT:
            account = await self._spot_account()
            figures = {}
            for b in account.get("balances", []):
                free, locked = decimal(b.get("free")), decimal(b.get("locked"))
                if free or locked:
                    # Spot has no margin: locked is what open orders reserve.
                    figures[b["asset"]] = Figures(wallet_balance=free + locked, order_reserved=locked, available=free)
            return figures
        account = await self.call("GET /fapi/v3/account", self.client.fapiPrivateV3GetAccount)
        return {
            a["asset"]: Figures(
                wallet_balance=decimal(a.get("walletBalance")),
                unrealised_pnl=decimal(a.get("unrealizedProfit")),
                position_margin=decimal(a.get("positionInitialMargin")),
                order_reserved=decimal(a.get("openOrderInitialMargin")),
                # "maximum amount for transfer out": the design's available (transferable) amount.
                available=decimal(a.get("maxWithdrawAmount")),
            )
            for a in account.get("assets", [])
            if decimal(a.get("walletBalance")) or decimal(a.get("unrealizedProfit"))
        }

    async def _spot_account(self) -> Any:
        """``GET /api/v3/account``; callers while it is in flight share its answer or failure.

        The check asks it for the account's uid (:meth:`key_facts`) and for the balances
        (:meth:`trading_figures`) at once, and Binance charges 20 weight per request: one is sent.
        Nothing is kept once it is answered, so every later caller gets a fresh read."""
        pending = self._account_read
        if pending is None:
            call = self.call("GET /api/v3/account", self.client.privateGetAccount, {"omitZeroBalances": "true"})
            pending = self._account_read = asyncio.ensure_future(call)
            pending.add_done_callback(self._account_answered)
        # Shielded: a caller that is cancelled does not cancel the request the others wait for.
        return await asyncio.shield(pending)

    def _account_answered(self, answered: asyncio.Future[Any]) -> None:
        if self._account_read is answered:
            self._account_read = None
        if not answered.cancelled():
            answered.exception()  # retrieved here: every caller may have been cancelled meanwhile

    async def funding_holdings(self) -> dict[str, Decimal]:
        rows = await self.call("POST /sapi/v1/asset/get-funding-asset", self.client.sapiPostAssetGetFundingAsset)
        return {r["asset"]: decimal(r.get("free")) for r in rows if decimal(r.get("free")) > 0}

    async def prices(self, assets: list[str], quote: str) -> dict[str, Decimal]:
        async def one(asset: str) -> tuple[str, Decimal | None]:
            try:
                r = await self.call(
                    "GET /api/v3/ticker/price", self.client.publicGetTickerPrice, {"symbol": f"{asset}{quote}"}
                )
            except CallFailed:
                return asset, None
            return asset, decimal(r.get("price"))

        found = await asyncio.gather(*(one(a) for a in assets))
        return {a: p for a, p in found if p is not None}

    async def trade_probe(self, market: Market) -> None:
        # Cancelling an order that does not exist needs the trade right and changes nothing:
        # -2011 "Unknown order sent." means allowed; -2015 means not (or the key/IP is refused).
        label, method = (
            ("DELETE /api/v3/order (probe)", self.client.privateDeleteOrder)
            if market is Market.SPOT
            else ("DELETE /fapi/v1/order (probe)", self.client.fapiPrivateDeleteOrder)
        )
        try:
            await self.call(label, method, dict(_PROBE))
        except CallFailed as exc:
            if exc.failure.code == _UNKNOWN_ORDER and "Unknown order" in exc.failure.message:
                return
            raise

    async def resolve(
        self, failure: Failure, market: Market, facts: KeyFacts | None, egress_ips: tuple[str, ...]
    ) -> Verdict:
        if failure.code != "-2015":
            return failure.verdict or Verdict.INVALID_KEY
        if facts is not None:
            # The permission endpoint answered, so the key exists and this IP may use it.
            return Verdict.MISSING_PERMISSION
        # Key or IP: if the key works from another of tradebind's egress addresses, it is the IP.
        if self._accepted_from is None:
            self._accepted_from = await self._accepting_address(egress_ips) or ""
        return Verdict.IP_NOT_ALLOWED if self._accepted_from else Verdict.INVALID_KEY

    async def _accepting_address(self, egress_ips: tuple[str, ...]) -> str | None:
        for ip in egress_ips:
            if "/" in ip or ip == self.endpoint.source_ip:
                continue
            other = self.sibling(ip)
            try:
                await other.key_facts()
            except (CallFailed, OSError):
                continue
            finally:
                await other.close()
                self.evidence.extend(other.evidence)
            return ip
        return None

    def failure_detail(self, verdict: Verdict, failure: Failure) -> str:
        here = self.endpoint.source_ip or "this host"
        if verdict is Verdict.IP_NOT_ALLOWED and failure.code == "-2015":
            return f"Binance accepts the key from {self._accepted_from} but not from {here}"
        if verdict is Verdict.INVALID_KEY and failure.code == "-2015":
            return (
                f"-2015 {failure.message} Binance gives this answer for an unknown or expired key and for an "
                f"IP address the key does not allow; if the key has an IP allow-list, make sure {here} is on it"
            )
        return super().failure_detail(verdict, failure)
