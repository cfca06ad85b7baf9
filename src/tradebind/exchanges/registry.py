"""The adapters by exchange id: the one place that lists which exchanges tradebind can check."""

from __future__ import annotations

from .base import ApiCredentials, Endpoint, ExchangeAdapter
from .binance import BinanceAdapter
from .bybit import BybitAdapter
from .okx import OkxAdapter

ADAPTERS: dict[str, type[ExchangeAdapter]] = {a.name: a for a in (BinanceAdapter, OkxAdapter, BybitAdapter)}


def open_adapter(exchange: str, credentials: ApiCredentials, endpoint: Endpoint | None = None) -> ExchangeAdapter:
    """A new adapter for ``exchange``; raises ``KeyError`` naming the exchange if unknown.

    Must be called inside a running event loop (ccxt.async_support); close it after use.
    """
    try:
        adapter_class = ADAPTERS[exchange]
    except KeyError:
        raise KeyError(f"exchange: {exchange!r} is not one of {', '.join(ADAPTERS)}") from None
    return adapter_class(credentials, endpoint)
