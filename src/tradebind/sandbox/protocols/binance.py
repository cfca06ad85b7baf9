"""Binance spot (``/api/v3``), wallet (``/sapi``) and USDⓈ-M futures (``/fapi``) wire protocol.

The route table below lists every endpoint with Binance's request weight; the pipeline
(binance_http.py) authenticates and counts, the handlers (binance_trading.py,
binance_accounts.py) call the core, binance_views.py shapes the JSON, binance_errors.py renders
failures. Which ccxt call reaches which endpoint: tests/integration/sandbox_binance/test_endpoint_map.py.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from aiohttp import web

from ..core import Catalog, FaultKind, Instrument, Market, Permission, Venue, VenueSpec, WalletLayout
from ..layout import DEMO_PATHS
from . import binance_markets as markets
from .base import ExchangeProtocol
from .binance_accounts import Accounts
from .binance_errors import Api
from .binance_http import Call, Endpoint, Pipeline
from .binance_limits import rate_limits_info
from .binance_trading import Trading

_ALNUM = string.ascii_letters + string.digits
D = Decimal

# Specs as Binance lists them in exchangeInfo (PRICE_FILTER, LOT_SIZE, NOTIONAL / MIN_NOTIONAL).
CATALOG = Catalog(
    [
        Instrument("BTCUSDT", Market.SPOT, "BTC", "USDT", D("0.01"), D("0.00001"), D("0.00001"), D("9000"), D("5")),
        Instrument("ETHUSDT", Market.SPOT, "ETH", "USDT", D("0.01"), D("0.0001"), D("0.0001"), D("9000"), D("5")),
        Instrument(
            "BTCUSDT@PERP", Market.LINEAR, "BTC", "USDT", D("0.10"), D("0.001"), D("0.001"), D("1000"), D("100"),
            max_leverage=125, maker_fee=D("0.0002"), taker_fee=D("0.0005"),
        ),
        Instrument(
            "ETHUSDT@PERP", Market.LINEAR, "ETH", "USDT", D("0.01"), D("0.001"), D("0.001"), D("10000"), D("20"),
            max_leverage=100, maker_fee=D("0.0002"), taker_fee=D("0.0005"),
        ),
    ]
)  # fmt: skip


def _by_symbol(without: int, with_symbol: int) -> Any:
    """A weight that depends on whether ``symbol`` was sent (openOrders: 6 / 80 on spot)."""
    return lambda params: with_symbol if params.get("symbol") else without


class BinanceProtocol(ExchangeProtocol):
    name = "binance"
    # ccxt's set_sandbox_mode points at Binance's testnet (testnet.binance.vision, testnet.binancefuture.com).
    demo_path = DEMO_PATHS["binance"]
    permission_names: ClassVar[dict[str, frozenset[Permission]]] = {
        "read": frozenset({Permission.READ}),
        "spot": frozenset({Permission.SPOT_TRADE}),
        "futures": frozenset({Permission.FUTURES_TRADE}),
        "withdraw": frozenset({Permission.WITHDRAW}),
        "internal_transfer": frozenset({Permission.INTERNAL_TRANSFER}),
        "universal_transfer": frozenset({Permission.TRANSFER}),
    }

    @classmethod
    def venue_spec(cls) -> VenueSpec:
        return VenueSpec(
            name=cls.name,
            catalog=CATALOG,
            layout=WalletLayout(
                wallets=("funding", "spot", "futures"),
                funding="funding",
                trading={Market.SPOT: "spot", Market.LINEAR: "futures"},
            ),
            initial_prices={"BTC/USDT": D("65000"), "ETH/USDT": D("3200")},
        )

    def new_key_material(self) -> tuple[str, str]:
        return (
            "".join(secrets.choice(_ALNUM) for _ in range(64)),
            "".join(secrets.choice(_ALNUM) for _ in range(64)),
        )

    def build_app(self, venue: Venue, environment: str = "live") -> web.Application:
        app = web.Application()
        pipeline = Pipeline(venue, environment)
        app.add_routes([pipeline.route(ep) for ep in endpoints(venue, pipeline)])
        return app


def endpoints(venue: Venue, pipeline: Pipeline) -> list[Endpoint]:
    """Every route with Binance's weight (spot rest-api.md, USDⓈ-M and wallet docs)."""
    spot = Trading(venue, Market.SPOT, pipeline.order_counts)
    fut = Trading(venue, Market.LINEAR, pipeline.order_counts)
    acc = Accounts(venue, fut)
    SPOT, SAPI, FAPI, DAPI = Api.SPOT, Api.SAPI, Api.FAPI, Api.DAPI
    spot_trade, fut_trade = (Permission.SPOT_TRADE,), (Permission.FUTURES_TRADE,)

    def server_time(call: Call) -> dict[str, Any]:
        return {"serverTime": call.now_ms}

    def info(api: Api, market: Market | None) -> Any:
        def handler(call: Call) -> dict[str, Any]:
            limits = rate_limits_info(api, pipeline.weight_limit(api))
            return markets.exchange_info(venue.catalog, market, call.now_ms, limits)

        return handler

    def system_status(call: Call) -> dict[str, Any]:
        if venue.faults.get(FaultKind.MAINTENANCE) is not None:
            return {"status": 1, "msg": "system_maintenance"}
        return {"status": 0, "msg": "normal"}

    def empty(call: Call) -> list[Any]:
        return []

    def tickers(trading: Trading, view: Callable[[Instrument, Decimal, int], dict[str, Any]]) -> Any:
        """One symbol's ticker (``symbol`` given; -1121 if unknown) or every symbol's, as a list."""

        def handler(call: Call) -> Any:
            if call.get("symbol") is None:
                listed = venue.catalog.of(trading.market)
                return [view(i, venue.prices.get(i.pair), call.now_ms) for i in listed]
            inst = trading.instrument(call)
            return view(inst, venue.prices.get(inst.pair), call.now_ms)

        return handler

    def pong(call: Call) -> dict[str, Any]:
        return {}

    E = Endpoint
    return [
        # spot
        E("GET", "/api/v3/ping", SPOT, 1, pong),
        E("GET", "/api/v3/time", SPOT, 1, server_time),
        E("GET", "/api/v3/exchangeInfo", SPOT, 20, info(SPOT, Market.SPOT)),
        E("GET", "/api/v3/ticker/price", SPOT, _by_symbol(4, 2), tickers(spot, markets.price_ticker)),
        E("GET", "/api/v3/ticker/24hr", SPOT, _by_symbol(80, 2), tickers(spot, markets.day_ticker)),
        E("GET", "/api/v3/account", SPOT, 20, acc.spot_account, signed=True),
        E("POST", "/api/v3/order", SPOT, 1, spot.new_order, signed=True, order=True, permissions=spot_trade),
        E("GET", "/api/v3/order", SPOT, 4, spot.query_order, signed=True),
        E("DELETE", "/api/v3/order", SPOT, 1, spot.cancel_order, signed=True, cancel=True, permissions=spot_trade),
        E("GET", "/api/v3/openOrders", SPOT, _by_symbol(80, 6), spot.open_orders, signed=True),
        E("GET", "/api/v3/allOrders", SPOT, 20, spot.all_orders, signed=True),
        E("GET", "/api/v3/myTrades", SPOT, 20, spot.trades, signed=True),
        # wallet
        E("GET", "/sapi/v1/system/status", SAPI, 1, system_status),
        E("GET", "/sapi/v1/capital/config/getall", SAPI, 10, acc.coins, signed=True),
        E("GET", "/sapi/v1/margin/allPairs", SAPI, 1, empty, signed=True),
        E("GET", "/sapi/v1/margin/isolated/allPairs", SAPI, 10, empty, signed=True),
        E("GET", "/sapi/v1/account/apiRestrictions", SAPI, 1, acc.api_restrictions, signed=True),
        E("GET", "/sapi/v1/account/status", SAPI, 1, acc.account_status, signed=True),
        E("GET", "/sapi/v1/account/apiTradingStatus", SAPI, 1, acc.api_trading_status, signed=True),
        E("POST", "/sapi/v1/asset/get-funding-asset", SAPI, 1, acc.funding_assets, signed=True),
        E("POST", "/sapi/v3/asset/getUserAsset", SAPI, 5, acc.user_assets, signed=True),
        E("GET", "/sapi/v1/asset/wallet/balance", SAPI, 60, acc.wallet_balances, signed=True),
        E("POST", "/sapi/v1/asset/transfer", SAPI, 900, acc.transfer, signed=True, permissions=(Permission.TRANSFER,)),
        E("GET", "/sapi/v1/asset/transfer", SAPI, 1, acc.transfer_history, signed=True),
        # USDⓈ-M futures
        E("GET", "/fapi/v1/ping", FAPI, 1, pong),
        E("GET", "/fapi/v1/time", FAPI, 1, server_time),
        E("GET", "/fapi/v1/exchangeInfo", FAPI, 1, info(FAPI, Market.LINEAR)),
        E("GET", "/fapi/v1/ticker/price", FAPI, _by_symbol(2, 1), tickers(fut, markets.price_ticker)),
        E("GET", "/fapi/v1/ticker/24hr", FAPI, _by_symbol(40, 1), tickers(fut, markets.day_ticker)),
        E("GET", "/fapi/v2/account", FAPI, 5, lambda c: acc.futures_account(c, v2=True), signed=True),
        E("GET", "/fapi/v3/account", FAPI, 5, lambda c: acc.futures_account(c, v2=False), signed=True),
        E("GET", "/fapi/v2/balance", FAPI, 5, acc.futures_balance, signed=True),
        E("GET", "/fapi/v3/balance", FAPI, 5, acc.futures_balance, signed=True),
        E("GET", "/fapi/v2/positionRisk", FAPI, 5, lambda c: acc.position_risk(c, v2=True), signed=True),
        E("GET", "/fapi/v3/positionRisk", FAPI, 5, lambda c: acc.position_risk(c, v2=False), signed=True),
        E("GET", "/fapi/v1/leverageBracket", FAPI, 1, acc.leverage_brackets, signed=True),
        E("GET", "/fapi/v1/accountConfig", FAPI, 5, acc.futures_account_config, signed=True),
        E("POST", "/fapi/v1/leverage", FAPI, 1, acc.set_leverage, signed=True, permissions=fut_trade),
        E("POST", "/fapi/v1/order", FAPI, 0, fut.new_order, signed=True, order=True, permissions=fut_trade),
        E("GET", "/fapi/v1/order", FAPI, 1, fut.query_order, signed=True),
        E("DELETE", "/fapi/v1/order", FAPI, 1, fut.cancel_order, signed=True, cancel=True, permissions=fut_trade),
        E("GET", "/fapi/v1/openOrders", FAPI, _by_symbol(40, 1), fut.open_orders, signed=True),
        E("GET", "/fapi/v1/allOrders", FAPI, 5, fut.all_orders, signed=True),
        E("GET", "/fapi/v1/userTrades", FAPI, 5, fut.trades, signed=True),
        # COIN-M: listed so ccxt's load_markets works; the sandbox trades no COIN-M contracts
        E("GET", "/dapi/v1/time", DAPI, 1, server_time),
        E("GET", "/dapi/v1/exchangeInfo", DAPI, 1, info(DAPI, None)),
    ]
