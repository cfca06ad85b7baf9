"""Binance spot (``/api/v3``), wallet (``/sapi``) and USDⓈ-M futures (``/fapi``) wire protocol."""

from __future__ import annotations

import secrets
import string
from decimal import Decimal
from typing import ClassVar

from aiohttp import web

from ..core import Catalog, Instrument, Market, Permission, Venue, VenueSpec, WalletLayout
from .base import ExchangeProtocol
from .wire import json_response

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


class BinanceProtocol(ExchangeProtocol):
    name = "binance"
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

    @classmethod
    def ccxt_api_urls(cls, base_url: str) -> dict[str, str]:
        # Every API group ccxt's binance client signs or reads through; see exchanges.md §1.7.
        groups = {
            "public": "api/v3", "private": "api/v3", "v1": "api/v1",
            "sapi": "sapi/v1", "sapiV2": "sapi/v2", "sapiV3": "sapi/v3", "sapiV4": "sapi/v4",
            "fapiPublic": "fapi/v1", "fapiPublicV2": "fapi/v2", "fapiPublicV3": "fapi/v3",
            "fapiPrivate": "fapi/v1", "fapiPrivateV2": "fapi/v2", "fapiPrivateV3": "fapi/v3",
            "fapiData": "futures/data",
            "dapiPublic": "dapi/v1", "dapiPrivate": "dapi/v1", "dapiPrivateV2": "dapi/v2",
            "dapiData": "dapi/futures-data",
            "eapiPublic": "eapi/v1", "eapiPrivate": "eapi/v1", "papi": "papi/v1", "papiV2": "papi/v2",
        }  # fmt: skip
        return {group: f"{base_url}/{path}" for group, path in groups.items()}

    def new_key_material(self) -> tuple[str, str]:
        return (
            "".join(secrets.choice(_ALNUM) for _ in range(64)),
            "".join(secrets.choice(_ALNUM) for _ in range(64)),
        )

    def build_app(self, venue: Venue) -> web.Application:
        app = web.Application()

        async def server_time(request: web.Request) -> web.Response:
            return json_response({"serverTime": venue.clock.now_ms()})

        app.add_routes([web.get("/api/v3/time", server_time), web.get("/fapi/v1/time", server_time)])
        return app
