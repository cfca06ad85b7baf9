"""Cross-margin maths of a trading wallet. Pure: inputs in, figures out.

The figures follow the exchanges' own definitions (see shared/reference/exchanges.md): Binance
``availableBalance`` / ``maxWithdrawAmount``, Bybit ``totalAvailableBalance``, OKX ``availBal``:

    margin balance = wallet balance + unrealised PnL
    available      = margin balance - position IM - open-order IM - spot-order locks
    transferable   = available, but never counting unrealised profit (losses do count)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PositionFigures:
    """One position valued at the mark price."""

    qty: Decimal  # contracts, signed
    contract_size: Decimal
    entry_price: Decimal
    mark_price: Decimal
    leverage: int

    @property
    def notional(self) -> Decimal:
        return abs(self.qty) * self.contract_size * self.mark_price

    @property
    def unrealised_pnl(self) -> Decimal:
        return (self.mark_price - self.entry_price) * self.qty * self.contract_size

    @property
    def initial_margin(self) -> Decimal:
        return self.notional / self.leverage

    @property
    def maint_margin(self) -> Decimal:
        # A flat 0.4% maintenance rate: the first tier of Binance's and Bybit's BTC brackets.
        return self.notional * Decimal("0.004")


@dataclass(frozen=True, slots=True)
class MarginSummary:
    """What one settle asset of a trading wallet is worth and how much of it is free to use."""

    asset: str
    wallet_balance: Decimal
    unrealised_pnl: Decimal
    position_initial_margin: Decimal
    open_order_initial_margin: Decimal
    spot_locked: Decimal
    maint_margin: Decimal

    @property
    def margin_balance(self) -> Decimal:
        return self.wallet_balance + self.unrealised_pnl

    @property
    def initial_margin(self) -> Decimal:
        return self.position_initial_margin + self.open_order_initial_margin

    @property
    def available(self) -> Decimal:
        return max(ZERO, self.margin_balance - self.initial_margin - self.spot_locked)

    @property
    def transferable(self) -> Decimal:
        loss = min(ZERO, self.unrealised_pnl)
        return max(ZERO, min(self.available, self.wallet_balance + loss - self.initial_margin - self.spot_locked))


def summarise(
    asset: str,
    wallet_balance: Decimal,
    spot_locked: Decimal,
    positions: Iterable[PositionFigures],
    open_order_margin: Decimal,
) -> MarginSummary:
    figures = list(positions)
    return MarginSummary(
        asset=asset,
        wallet_balance=wallet_balance,
        unrealised_pnl=sum((p.unrealised_pnl for p in figures), ZERO),
        position_initial_margin=sum((p.initial_margin for p in figures), ZERO),
        open_order_initial_margin=open_order_margin,
        spot_locked=spot_locked,
        maint_margin=sum((p.maint_margin for p in figures), ZERO),
    )
