"""Bybit v5 wire protocol (Unified Trading Account), served under ``/bybit``.

Public: ``/v5/market/{time,instruments-info,tickers}``, ``/v5/system/status``.
Private: ``/v5/user/query-api``, ``/v5/account/{info,wallet-balance}``, ``/v5/asset/coin/query-info``,
``/v5/asset/transfer/{query-account-coins-balance,inter-transfer}``,
``/v5/order/{create,cancel,realtime,history}``, ``/v5/execution/list``,
``/v5/position/{list,set-leverage}``. These are every call ccxt's bybit client makes for
load_markets, fetch_time, fetch_status, fetch_balance (unified and funding), create / cancel /
fetch orders, fetch_positions, set_leverage and transfer (exchanges.md §3.7), plus fetch_ticker,
fetch_closed_orders and fetch_my_trades for bots.
"""

from __future__ import annotations

import secrets
import string
from decimal import Decimal
from typing import Any, ClassVar

from aiohttp import web

from ..core import (
    Catalog,
    ErrorKind,
    FaultKind,
    Instrument,
    Market,
    Permission,
    SandboxError,
    Venue,
    VenueSpec,
    WalletLayout,
)
from ..layout import DEMO_PATHS
from . import bybit_views as views
from .base import ExchangeProtocol
from .bybit_pipeline import Call, Pipeline
from .bybit_trading import Trading, after_accept

D = Decimal
_ALNUM = string.ascii_letters + string.digits
# Bybit HMAC keys: 18-character key, 36-character secret, alphanumeric (exchanges.md §3.8).
KEY_LENGTH, SECRET_LENGTH = 18, 36
UNBOUND_KEY_LIFETIME_MS = 90 * 86_400_000  # "No ip bound api key will be invalid after 90 days"
# Coins the sandbox lists, with the precision (decimals) /v5/asset/coin/query-info reports.
COINS = {"USDT": 4, "BTC": 8, "ETH": 8}
# Bybit's account types and the sandbox wallets they name.
ACCOUNT_TYPES = {"UNIFIED": "unified", "FUND": "funding"}

# Specs as Bybit's /v5/market/instruments-info lists them (spot: lotSizeFilter.basePrecision,
# minOrderQty, maxOrderQty, minOrderAmt; linear: qtyStep, minNotionalValue, maxLeverage) and
# Bybit's base fee rates (spot 0.1%/0.1%, perpetuals maker 0.02% / taker 0.055%).
CATALOG = Catalog(
    [
        Instrument(
            "BTCUSDT", Market.SPOT, "BTC", "USDT", D("0.01"), D("0.000001"), D("0.000048"), D("71.73956243"), D("1"),
        ),
        Instrument(
            "ETHUSDT", Market.SPOT, "ETH", "USDT", D("0.01"), D("0.00001"), D("0.00062"), D("1229.2336343"), D("1"),
        ),
        Instrument(
            "BTCUSDT" + views.LINEAR_SUFFIX, Market.LINEAR, "BTC", "USDT", D("0.10"), D("0.001"), D("0.001"), D("1190"),
            D("5"), max_leverage=100, maker_fee=D("0.0002"), taker_fee=D("0.00055"),
        ),
        Instrument(
            "ETHUSDT" + views.LINEAR_SUFFIX, Market.LINEAR, "ETH", "USDT", D("0.01"), D("0.01"), D("0.01"), D("7240"),
            D("5"), max_leverage=100, maker_fee=D("0.0002"), taker_fee=D("0.00055"),
        ),
    ]
)  # fmt: skip


class BybitProtocol(ExchangeProtocol):
    name = "bybit"
    # Bybit's demo trading host (api-demo.bybit.com, ccxt urls['demotrading']); keys are separate.
    demo_path = DEMO_PATHS["bybit"]
    permission_names: ClassVar[dict[str, frozenset[Permission]]] = {
        "read": frozenset({Permission.READ}),
        "spot": frozenset({Permission.SPOT_TRADE}),  # Spot: SpotTrade
        "futures": frozenset({Permission.FUTURES_TRADE}),  # ContractTrade: Order, Position
        "withdraw": frozenset({Permission.WITHDRAW}),  # Wallet: Withdraw
        "transfer": frozenset({Permission.TRANSFER}),  # Wallet: AccountTransfer
    }

    @classmethod
    def venue_spec(cls) -> VenueSpec:
        return VenueSpec(
            name=cls.name,
            catalog=CATALOG,
            # A UTA trades spot and perpetuals from one wallet; the Funding account never trades.
            layout=WalletLayout(
                wallets=("funding", "unified"),
                funding="funding",
                trading={Market.SPOT: "unified", Market.LINEAR: "unified"},
            ),
            initial_prices={"BTC/USDT": D("65000"), "ETH/USDT": D("3200")},
            client_id_unique="always",  # "orderLinkId ... always unique" (create-order.mdx)
            default_leverage=10,
            unbound_key_lifetime_ms=UNBOUND_KEY_LIFETIME_MS,
        )

    def new_key_material(self) -> tuple[str, str]:
        return (
            "".join(secrets.choice(_ALNUM) for _ in range(KEY_LENGTH)),
            "".join(secrets.choice(_ALNUM) for _ in range(SECRET_LENGTH)),
        )

    def build_app(self, venue: Venue, environment: str = "live") -> web.Application:
        return BybitApi(venue, environment).app()


class BybitApi:
    """The endpoints of one venue."""

    def __init__(self, venue: Venue, environment: str = "live") -> None:
        self.venue = venue
        self.pipeline = Pipeline(venue, environment)
        self.trading = Trading(venue)
        self._transfer_ids: set[tuple[str, str]] = set()

    def app(self) -> web.Application:
        t, p = self.trading, self.pipeline
        routes: list[tuple[str, str, Any, dict[str, bool]]] = [
            ("GET", "/v5/market/time", self.server_time, {"private": False}),
            ("GET", "/v5/market/instruments-info", self.instruments, {"private": False}),
            ("GET", "/v5/market/tickers", self.tickers, {"private": False}),
            ("GET", "/v5/system/status", self.system_status, {"private": False}),
            ("GET", "/v5/user/query-api", self.key_info, {}),
            ("GET", "/v5/account/info", self.account_info, {}),
            ("GET", "/v5/account/wallet-balance", self.wallet_balance, {}),
            ("GET", "/v5/asset/coin/query-info", self.coin_info, {}),
            ("GET", "/v5/asset/transfer/query-account-coins-balance", self.coins_balance, {}),
            ("POST", "/v5/asset/transfer/inter-transfer", self.transfer, {"acts": True}),
            ("POST", "/v5/order/create", t.create_order, {"acts": True}),
            ("POST", "/v5/order/cancel", t.cancel_order, {"acts": True}),
            ("GET", "/v5/order/realtime", t.open_orders, {}),
            ("GET", "/v5/order/history", t.order_history, {}),
            ("GET", "/v5/execution/list", t.executions, {}),
            ("GET", "/v5/position/list", t.positions, {}),
            ("POST", "/v5/position/set-leverage", t.set_leverage, {}),
        ]
        app = web.Application()
        app.add_routes([web.route(m, path, p.endpoint(path, h, **opts)) for m, path, h, opts in routes])
        app.router.add_route("*", "/{tail:.*}", p.endpoint("*", self.not_found, private=False))
        return app

    # public -------------------------------------------------------------------------------------

    def server_time(self, call: Call) -> dict[str, str]:
        now = self.venue.clock.now_ms()
        return {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}

    def instruments(self, call: Call) -> dict[str, Any]:
        category = call.text("category")
        if category not in ("spot", "linear", "inverse", "option"):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "category is invalid")
        market = views.CATEGORIES.get(category)
        symbol = call.params.get("symbol")
        status = call.text("status", "Trading")
        now = self.venue.clock.now_ms()
        listed = self.venue.catalog.of(market) if market and status == "Trading" else []
        rows = [views.instrument(i, now) for i in listed if symbol in (None, views.symbol_of(i))]
        if call.params.get("cursor"):
            rows = []  # one page holds everything the sandbox lists
        if category == "spot":
            return {"category": category, "list": rows}
        return {"category": category, "list": rows, "nextPageCursor": ""}

    def tickers(self, call: Call) -> dict[str, Any]:
        category = call.text("category")
        if category not in ("spot", "linear", "inverse", "option"):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "category is invalid")
        market = views.CATEGORIES.get(category)
        symbol = call.params.get("symbol")
        listed = [i for i in self.venue.catalog.of(market) if symbol in (None, views.symbol_of(i))] if market else []
        if symbol and not listed:
            raise SandboxError(ErrorKind.UNKNOWN_SYMBOL, str(symbol))
        now = self.venue.clock.now_ms()
        rows = [views.ticker(i, self.venue.prices.get(i.pair), now) for i in listed]
        return {"category": category, "list": rows}

    def system_status(self, call: Call) -> dict[str, Any]:
        fault = self.venue.faults.get(FaultKind.MAINTENANCE)
        if fault is None:
            return {"list": []}
        now = self.venue.clock.now_ms()
        minutes = fault.number("minutes", 30)
        event = {
            "id": "sandbox-maintenance",
            "title": "System maintenance",
            "state": "ongoing",
            "begin": str(now - 60_000),
            "end": str(now + int(minutes * 60_000)),
            "href": "https://announcements.bybit.com/",
            "serviceTypes": [1, 2, 3, 4, 5],
            "product": [1, 2],
            "uidSuffix": [],
            "maintainType": 1,
            "env": 1,
        }
        return {"list": [event]}

    def not_found(self, call: Call) -> None:
        raise SandboxError(ErrorKind.NOT_FOUND)

    # account and keys ---------------------------------------------------------------------------

    def key_info(self, call: Call) -> dict[str, Any]:
        key, acct = call.owner
        parent = self.venue.account(acct.account_id.split("/")[0]) if acct.is_sub_account else None
        return views.api_key_info(key, acct, parent, self.venue.clock.now_ms())

    def account_info(self, call: Call) -> dict[str, Any]:
        return {
            "unifiedMarginStatus": 5,  # 5: UTA 2.0 (account/account-info.mdx)
            "marginMode": "REGULAR_MARGIN",
            "isMasterTrader": False,
            "spotHedgingStatus": "OFF",
            "updatedTime": str(self.venue.clock.now_ms()),
            "dcpStatus": "OFF",
            "timeWindow": 10,
            "smpGroup": 0,
        }

    def coin_info(self, call: Call) -> dict[str, Any]:
        coin = call.params.get("coin")
        return {"rows": [views.coin_info(c, p) for c, p in COINS.items() if coin in (None, c)]}

    def _wallet(self, call: Call, allowed: tuple[str, ...]) -> str:
        account_type = call.text("accountType")
        if account_type not in allowed:
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"accountType only support {', '.join(allowed)}")
        return ACCOUNT_TYPES[account_type]

    @staticmethod
    def _coins(call: Call) -> set[str] | None:
        raw = call.params.get("coin")
        return set(str(raw).split(",")) if raw else None

    def wallet_balance(self, call: Call) -> dict[str, Any]:
        _, acct = call.owner
        wallet = self._wallet(call, ("UNIFIED",))
        return {"list": [views.unified_wallet(self.venue, acct, wallet, self._coins(call))]}

    def coins_balance(self, call: Call) -> dict[str, Any]:
        _, acct = call.owner
        wallet = self._wallet(call, ("FUND", "UNIFIED"))
        coins = self._coins(call)
        if wallet == "unified" and coins is None:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "coin is required for accountType UNIFIED")
        rows = views.fund_wallet(acct, wallet, coins)
        if wallet == "unified":
            # What can leave a UTA is capped by margin in use, not just its free funds.
            for row in rows:
                row["transferBalance"] = views.num(self.venue.spendable(acct, wallet, row["coin"]))
        return {"memberId": str(acct.uid), "accountType": call.text("accountType"), "balance": rows}

    def transfer(self, call: Call) -> dict[str, Any]:
        key, acct = call.owner
        self.venue.require(key, Permission.TRANSFER)
        transfer_id = call.text("transferId")
        source = self._account_type(call, "fromAccountType")
        target = self._account_type(call, "toAccountType")
        coin, amount = call.text("coin"), call.decimal("amount")
        if (acct.account_id, transfer_id) in self._transfer_ids:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "transferId is duplicated")
        self.venue.transfer(acct.account_id, coin, amount, source, target)
        self._transfer_ids.add((acct.account_id, transfer_id))
        after_accept(self.venue)
        return {"transferId": transfer_id, "status": "SUCCESS"}

    @staticmethod
    def _account_type(call: Call, name: str) -> str:
        wallet = ACCOUNT_TYPES.get(call.text(name))
        if wallet is None:
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"{name} must be UNIFIED or FUND")
        return wallet
