"""Exchange accounts: wallets of balances, futures positions and leverage settings.

A venue's :class:`WalletLayout` says which wallets exist and which wallet each market trades
from: Binance keeps Spot and USDⓈ-M Futures apart, OKX and Bybit trade both from one unified
trading account. The Funding wallet never trades.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from .instruments import Market

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class WalletLayout:
    """Wallet names of a venue (as the control API spells them) and the wallet of each market."""

    wallets: tuple[str, ...]
    funding: str
    trading: dict[Market, str]

    def wallet_for(self, market: Market) -> str:
        return self.trading[market]

    @property
    def margin_wallets(self) -> set[str]:
        """Wallets that hold futures positions and so compute margin."""
        return {self.trading[Market.LINEAR]}


@dataclass(slots=True)
class Balance:
    """``free`` is spendable; ``locked`` is reserved by open spot orders."""

    free: Decimal = ZERO
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(slots=True)
class Position:
    """A one-way (net) position; ``qty`` in contracts, negative for short."""

    instrument_id: str
    qty: Decimal = ZERO
    entry_price: Decimal = ZERO
    realised_pnl: Decimal = ZERO
    updated_ms: int = 0


@dataclass(slots=True)
class Account:
    """One exchange account (``alice``) or sub-account (``alice/sub1``)."""

    account_id: str
    uid: int
    wallets: dict[str, dict[str, Balance]] = field(default_factory=lambda: defaultdict(dict))
    positions: dict[str, Position] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)
    trading_enabled: bool = True
    # Frozen by the exchange (risk control, compliance): more than trading disabled; each
    # protocol decides how its exchange answers private calls of a frozen account.
    frozen: bool = False

    def balance(self, wallet: str, asset: str) -> Balance:
        per_asset = self.wallets[wallet]
        bal = per_asset.get(asset)
        if bal is None:
            bal = per_asset[asset] = Balance()
        return bal

    def assets(self, wallet: str) -> dict[str, Balance]:
        return {a: b for a, b in self.wallets[wallet].items() if b.total != 0}

    def position(self, instrument_id: str) -> Position:
        pos = self.positions.get(instrument_id)
        if pos is None:
            pos = self.positions[instrument_id] = Position(instrument_id)
        return pos

    def open_positions(self) -> list[Position]:
        return [p for p in self.positions.values() if p.qty != 0]

    @property
    def may_trade(self) -> bool:
        """True unless trading is disabled on the account or the account is frozen."""
        return self.trading_enabled and not self.frozen

    @property
    def is_sub_account(self) -> bool:
        return "/" in self.account_id
