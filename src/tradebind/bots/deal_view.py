"""Stored deals as the strategy sees them, and stored orders as the intents that placed them."""

from __future__ import annotations

from ..gateway.api import OrderIntent, OrderKind, OrderSide
from ..store.deals import DealOrderRecord, DealRecord
from .strategies.dca import DealView, OrderView, StepState

__all__ = ["deal_view", "intent_of", "step_state"]


def step_state(order: DealOrderRecord) -> StepState:
    return StepState(order.state)


def deal_view(deal: DealRecord) -> DealView:
    return DealView(
        deal_id=deal.id,
        orders=tuple(
            OrderView(
                step=o.step,
                side=OrderSide(o.side),
                kind=OrderKind(o.kind),
                amount=o.amount,
                price=o.price,
                state=step_state(o),
                filled=o.filled,
                average_price=o.average_price,
                fee_quote=o.fee_quote,
            )
            for o in deal.orders
        ),
    )


def intent_of(bot_id: str, deal_id: str, order: DealOrderRecord) -> OrderIntent:
    """The intent a stored order was placed with (same step, so the same client order id)."""
    return OrderIntent(
        bot_id=bot_id,
        deal_id=deal_id,
        step=order.step,
        symbol=order.symbol,
        side=OrderSide(order.side),
        kind=OrderKind(order.kind),
        amount=order.amount,
        price=order.price,
        reduce_only=order.reduce_only,
    )
