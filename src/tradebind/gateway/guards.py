"""Binding guards, enforced before an order reaches the exchange. Pure."""

from __future__ import annotations

from decimal import Decimal

from ..store.binding_controls import BindingGuards
from .api import GuardRefused, OrderIntent

__all__ = ["check_intent", "check_symbol"]


def check_symbol(symbol: str, guards: BindingGuards) -> None:
    """Raise :class:`GuardRefused` unless the binding's bots may trade ``symbol``."""
    if guards.allowed_symbols and symbol not in guards.allowed_symbols:
        allowed = ", ".join(guards.allowed_symbols)
        raise GuardRefused(f"allowed_symbols: {symbol} is not one of this binding's symbols ({allowed})")


def check_intent(intent: OrderIntent, guards: BindingGuards, price: Decimal | None) -> None:
    """Raise :class:`GuardRefused` (naming the guard) if ``intent`` breaks ``guards``.

    ``price`` is the order's price, or the last price for a market order; ``None`` only when the
    binding has no value limit.
    """
    check_symbol(intent.symbol, guards)
    if guards.max_order_value is not None and not intent.reduce_only:
        if price is None:
            raise GuardRefused("max_order_value: the order's value cannot be determined")
        value = intent.amount * price
        if value > guards.max_order_value:
            raise GuardRefused(
                f"max_order_value: the order is worth {value.normalize():f}, above this binding's limit of "
                f"{guards.max_order_value.normalize():f}"
            )
