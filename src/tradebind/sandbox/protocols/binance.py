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
