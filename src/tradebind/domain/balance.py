"""The balance breakdown of a trading account, and what it means for the user. Pure.

Definitions follow the design's vocabulary ("available (transferable) amount"): wallet balance,
unrealised PnL, margin held by positions, funds reserved by open orders, and the available amount
as the exchange itself reports it (Binance ``maxWithdrawAmount``, OKX ``availBal``, Bybit
transferable). Every figure is also valued in the quote currency (USDT) where a price is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from .verdicts import CheckWarning, Finding

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Figures:
    """The five figures of the breakdown, in one unit (an asset's own, or the quote currency)."""

    wallet_balance: Decimal = ZERO
    unrealised_pnl: Decimal = ZERO
    position_margin: Decimal = ZERO
    order_reserved: Decimal = ZERO
    available: Decimal = ZERO

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.wallet_balance + other.wallet_balance,
            self.unrealised_pnl + other.unrealised_pnl,
            self.position_margin + other.position_margin,
            self.order_reserved + other.order_reserved,
            self.available + other.available,
        )

    def scaled(self, price: Decimal) -> Figures:
        return Figures(
            self.wallet_balance * price,
            self.unrealised_pnl * price,
            self.position_margin * price,
            self.order_reserved * price,
            self.available * price,
        )


@dataclass(frozen=True, slots=True)
class AssetLine:
    """One asset: its own figures and, when priced, their value in the quote currency."""

    asset: str
    amounts: Figures
    price: Decimal | None
    value: Figures | None


@dataclass(frozen=True, slots=True)
class Holding:
    """An asset in the Funding account and its value in the quote currency (None if unpriced)."""

    asset: str
    amount: Decimal
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class BalanceBreakdown:
    """The trading account of a binding, summed in the quote currency, plus the Funding account."""

    account: str  # the exchange's name for the trading account, e.g. "Spot", "Unified trading account"
    quote: str
    assets: tuple[AssetLine, ...]
    total: Figures  # priced assets only, in the quote currency
    funding: tuple[Holding, ...]
    funding_value: Decimal  # priced funding holdings, in the quote currency
    explanation: str


def _money(amount: Decimal, unit: str) -> str:
    # Two decimals for the quote currency, the amount's own precision (trailing zeros cut) otherwise.
    text = f"{amount.quantize(Decimal('0.01')):,}" if unit in {"USDT", "USDC", "USD"} else f"{amount.normalize():f}"
    return f"{text} {unit}"


def build_breakdown(
    account: str,
    quote: str,
    trading: Mapping[str, Figures],
    funding: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    low_available: Decimal,
) -> BalanceBreakdown:
    """The breakdown of ``trading`` (asset → its figures) and ``funding`` (asset → amount).

    Value every asset at ``prices`` (asset → price in ``quote``; the quote itself is 1) and
    explain the available figure when it is below ``low_available``."""

    def price_of(asset: str) -> Decimal | None:
        return Decimal(1) if asset == quote else prices.get(asset)

    lines = []
    total = Figures()
    for asset in sorted(trading, key=lambda a: (a != quote, a)):
        amounts = trading[asset]
        price = price_of(asset)
        value = amounts.scaled(price) if price is not None else None
        if value is not None:
            total = total + value
        lines.append(AssetLine(asset, amounts, price, value))
    holdings = []
    funding_value = ZERO
    for asset, amount in sorted(funding.items()):
        if amount <= 0:
            continue
        price = price_of(asset)
        worth = amount * price if price is not None else None
        funding_value += worth or ZERO
        holdings.append(Holding(asset, amount, worth))
    partial = BalanceBreakdown(account, quote, tuple(lines), total, tuple(holdings), funding_value, "")
    return replace(partial, explanation=explain(partial, low_available))


def explain(b: BalanceBreakdown, low_available: Decimal) -> str:
    """One sentence on the available figure; it names the causes when the figure is low."""
    t, q = b.total, b.quote
    if t.wallet_balance <= 0 and t.unrealised_pnl == 0:
        where = f" ({_money(b.funding_value, q)} sits in the Funding account)" if b.funding_value > 0 else ""
        return f"The {b.account} account holds no funds{where}, so nothing is available to trade."
    if t.available >= low_available:
        return f"{_money(t.available, q)} of the {_money(t.wallet_balance, q)} in the {b.account} account is available."
    causes = []
    if t.position_margin > 0:
        causes.append(f"{_money(t.position_margin, q)} is held as margin by open positions")
    if t.order_reserved > 0:
        causes.append(f"{_money(t.order_reserved, q)} is reserved by open orders")
    if t.unrealised_pnl < 0:
        causes.append(f"an unrealised loss of {_money(-t.unrealised_pnl, q)} counts against it")
    if not causes:
        causes.append("the balance itself is small")
    reasons = causes[0] if len(causes) == 1 else ", ".join(causes[:-1]) + " and " + causes[-1]
    return (
        f"Only {_money(t.available, q)} of the {_money(t.wallet_balance, q)} in the {b.account} account "
        f"is available: {reasons}."
    )


def balance_findings(b: BalanceBreakdown, low_available: Decimal, transfer_route: str) -> list[Finding]:
    """``FUNDS_IN_FUNDING_ACCOUNT`` when the available figure is low and the Funding account holds
    funds (naming the amount and ``transfer_route``, the exchange's words for the transfer), else
    ``LOW_AVAILABLE_BALANCE`` when it is low."""
    if b.total.available >= low_available:
        return []
    if b.funding:
        held = ", ".join(_money(h.amount, h.asset) for h in b.funding)
        return [
            Finding(
                CheckWarning.FUNDS_IN_FUNDING_ACCOUNT,
                f"Your Funding account holds {held} but bots trade from the {b.account} account: "
                f"transfer the funds ({transfer_route}).",
            )
        ]
    return [
        Finding(
            CheckWarning.LOW_AVAILABLE_BALANCE,
            f"{b.explanation} Deposit {b.quote} into the {b.account} account, or free margin by closing "
            "positions and cancelling orders.",
        )
    ]
