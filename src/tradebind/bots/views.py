"""What people see of a bot's deals: status, average entry, filled amount, profit (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..store.deals import DealOrderRecord, DealRecord
from .deal_view import deal_view
from .strategies.dca import DcaParams, DcaParamsError, deal_figures

__all__ = ["DealSummary", "summarise"]


@dataclass(frozen=True, slots=True)
class DealSummary:
    id: str
    seq: int
    symbol: str
    status: str
    phase: str  # what the deal is doing, in words: "safety orders 1/3 filled, take profit at 101.5"
    close_reason: str | None
    opened_at: datetime
    closed_at: datetime | None
    average_entry: Decimal | None
    filled: Decimal  # entry amount bought (sold, for shorts)
    held: Decimal  # still to exit
    realised_pnl: Decimal  # quote currency, after fees
    orders: tuple[DealOrderRecord, ...]


def summarise(params: Mapping[str, Any], deal: DealRecord) -> DealSummary:
    """The deal's figures; a bot whose parameters no longer parse is summarised as a plain long."""
    try:
        parsed = DcaParams.parse(params)
    except DcaParamsError:
        parsed = DcaParams.parse({"base_order_quote": "1", "take_profit_pct": "1"})
    price = next((o.average_price for o in deal.orders if o.average_price), Decimal(0))
    figures = deal_figures(parsed, deal_view(deal), price)
    phase = _phase(parsed, deal)
    return DealSummary(
        id=deal.id,
        seq=deal.seq,
        symbol=deal.symbol,
        status=deal.status,
        phase=phase,
        close_reason=deal.close_reason,
        opened_at=deal.opened_at,
        closed_at=deal.closed_at,
        average_entry=figures.average_entry,
        filled=figures.bought,
        held=figures.held,
        realised_pnl=figures.realised_pnl,
        orders=deal.orders,
    )


def _phase(params: DcaParams, deal: DealRecord) -> str:
    if deal.status == "closed":
        return f"closed by {(deal.close_reason or 'the bot').replace('_', ' ')}"
    steps = {o.step: o for o in deal.orders}
    base = steps.get("base")
    if base is None or base.state != "filled":
        return "opening: base order " + ("not sent yet" if base is None else base.state)
    if "sl" in steps:
        return "closing: stop loss"
    filled = sum(1 for o in deal.orders if o.step.startswith("so") and o.state == "filled")
    resting_tp = [o for o in deal.orders if o.step.startswith("tp") and o.state == "open"]
    target = f", take profit at {resting_tp[-1].price}" if resting_tp else ""
    return f"safety orders {filled}/{params.max_safety_orders} filled{target}"
