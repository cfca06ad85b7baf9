"""OKX v5 REST wire protocol (``/api/v5``), as unmodified ccxt ``okx`` speaks it.

Served at ``http://HOST:PORT/okx``; ccxt needs only ``urls['api'] = {'rest': base}``. The request
pipeline (maintenance, authentication, per-User-ID rate limits, faults) lives here; signing is in
:mod:`.okx_auth`, rendering in :mod:`.okx_views`, the error table in :mod:`.okx_errors` and the
endpoint handlers in :mod:`.okx_handlers`.
"""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal
from typing import ClassVar

from aiohttp import web

from ..core import Catalog, Instrument, Market, Permission, Venue, VenueSpec, WalletLayout
from .base import ExchangeProtocol
from .okx_handlers import OkxApi

D = Decimal

# Specs as OKX lists them in GET /api/v5/public/instruments (tickSz, lotSz, minSz, ctVal, lever);
# fees are OKX's regular-user (Lv1) rates: spot 0.08 % maker / 0.1 % taker, swaps 0.02 % / 0.05 %.
# OKX has no minimum notional, only ``minSz``.
CATALOG = Catalog(
    [
        Instrument(
            "BTC-USDT", Market.SPOT, "BTC", "USDT", D("0.1"), D("0.00000001"), D("0.00001"), D("9999999999"), D(0),
            max_leverage=10, maker_fee=D("0.0008"), taker_fee=D("0.001"),
        ),
        Instrument(
            "ETH-USDT", Market.SPOT, "ETH", "USDT", D("0.01"), D("0.000001"), D("0.0001"), D("9999999999"), D(0),
            max_leverage=10, maker_fee=D("0.0008"), taker_fee=D("0.001"),
        ),
        Instrument(
            "BTC-USDT-SWAP", Market.LINEAR, "BTC", "USDT", D("0.1"), D("0.01"), D("0.01"), D("100000000"), D(0),
            contract_size=D("0.01"), max_leverage=100, maker_fee=D("0.0002"), taker_fee=D("0.0005"),
        ),
        Instrument(
            "ETH-USDT-SWAP", Market.LINEAR, "ETH", "USDT", D("0.01"), D("0.01"), D("0.01"), D("100000000"), D(0),
            contract_size=D("0.1"), max_leverage=100, maker_fee=D("0.0002"), taker_fee=D("0.0005"),
        ),
    ]
)  # fmt: skip


class OkxProtocol(ExchangeProtocol):
    name = "okx"
    # OKX keys always carry Read; "trade" covers orders, settings and funding transfers
    # ("place and cancel orders, funding transfer, make settings", OKX docs overview).
    permission_names: ClassVar[dict[str, frozenset[Permission]]] = {
        "read": frozenset({Permission.READ}),
        "trade": frozenset({Permission.READ, Permission.SPOT_TRADE, Permission.FUTURES_TRADE, Permission.TRANSFER}),
        "withdraw": frozenset({Permission.READ, Permission.WITHDRAW}),
    }
    requires_passphrase = True

    @classmethod
    def venue_spec(cls) -> VenueSpec:
        return VenueSpec(
            name=cls.name,
            catalog=CATALOG,
            # One unified trading account (acctLv 2) trades spot and swaps; Funding never trades.
            layout=WalletLayout(
                wallets=("funding", "trading"),
                funding="funding",
                trading={Market.SPOT: "trading", Market.LINEAR: "trading"},
            ),
            initial_prices={"BTC/USDT": D("65000"), "ETH/USDT": D("3200")},
            client_id_unique="open",
        )

    def new_key_material(self) -> tuple[str, str]:
        # OKX key ids are UUIDs; secrets are 32 uppercase hex digits (exchanges.md §2.8).
        return str(uuid.uuid4()), secrets.token_hex(16).upper()

    def build_app(self, venue: Venue, environment: str = "live") -> web.Application:
        # OKX demo trading is the same host with ``x-simulated-trading: 1``: the header, not the
        # mount, picks the environment (okx_auth.authenticate), so ``environment`` is unused.
        return OkxApi(venue, mount=f"/{self.name}").app()
