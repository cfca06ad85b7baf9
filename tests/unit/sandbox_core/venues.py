"""Small exchange-neutral venues for the core's unit tests (no protocol module involved)."""

from __future__ import annotations

from decimal import Decimal

from tradebind.sandbox.core import Catalog, Instrument, Market, Venue, VenueSpec, WalletLayout

D = Decimal

SPOT = "BTCUSDT"
PERP = "BTC-PERP"
PAIR = "BTC/USDT"
START_PRICE = D("50000")

CATALOG = Catalog(
    [
        Instrument(SPOT, Market.SPOT, "BTC", "USDT", D("0.01"), D("0.00001"), D("0.00001"), D("9000"), D("5")),
        Instrument(
            PERP, Market.LINEAR, "BTC", "USDT", D("0.1"), D("0.001"), D("0.001"), D("1000"), D("5"),
            max_leverage=100, maker_fee=D("0.0002"), taker_fee=D("0.0005"),
        ),
    ]
)  # fmt: skip

SEPARATE = WalletLayout(
    wallets=("funding", "spot", "futures"),
    funding="funding",
    trading={Market.SPOT: "spot", Market.LINEAR: "futures"},
)
UNIFIED = WalletLayout(
    wallets=("funding", "unified"),
    funding="funding",
    trading={Market.SPOT: "unified", Market.LINEAR: "unified"},
)


def make_venue(
    layout: WalletLayout = SEPARATE, *, client_id_unique: str = "open", seed: int = 0, default_leverage: int = 10
) -> Venue:
    """A venue listing one spot and one linear BTC/USDT instrument, priced at 50,000."""
    spec = VenueSpec(
        name="testex",
        catalog=CATALOG,
        layout=layout,
        initial_prices={PAIR: START_PRICE},
        client_id_unique=client_id_unique,
        default_leverage=default_leverage,
    )
    return Venue(spec, seed=seed)
