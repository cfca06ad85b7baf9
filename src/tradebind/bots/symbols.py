"""A bot's symbol as ccxt names it."""

from __future__ import annotations

from .strategies.dca import DcaParams

__all__ = ["ccxt_symbol"]


def ccxt_symbol(symbol: str, params: DcaParams) -> str:
    """The ccxt unified symbol: ``BTC/USDT`` on spot, ``BTC/USDT:USDT`` for linear futures."""
    if params.market.value == "futures" and ":" not in symbol:
        return f"{symbol}:{symbol.partition('/')[2]}"
    return symbol
