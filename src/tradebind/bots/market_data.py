"""Public market facts for the strategies: last price and the instrument's order rules.

Public data needs no key, so it comes from a keyless ccxt client per exchange (unmodified
``ccxt.async_support``; only ``urls['api']`` is pointed at the sandbox when one is configured).
Many bots on one symbol share one ticker read per refresh: :meth:`CcxtMarketData.refresh` starts a
new round and concurrent callers of :meth:`facts` await the same request.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, Protocol

import ccxt.async_support as ccxt_async
from ccxt.base.decimal_to_precision import TICK_SIZE

from ..exchanges.registry import ADAPTERS
from .strategies.dca import MarketFacts

__all__ = ["CcxtMarketData", "MarketData", "MarketDataError"]


class MarketDataError(Exception):
    """The market facts could not be read (unknown symbol, exchange unreachable)."""


class MarketData(Protocol):
    def refresh(self) -> None:
        """Start a new round: the next :meth:`facts` of each symbol reads the exchange again."""
        ...

    async def facts(self, exchange: str, symbol: str) -> MarketFacts: ...

    async def close(self) -> None: ...


class CcxtMarketData:
    """Keyless ccxt clients, one per exchange, markets loaded once, tickers once per round."""

    def __init__(self, sandbox_url: str | None = None, *, timeout_ms: int = 10_000) -> None:
        self._sandbox_url = sandbox_url
        self._timeout_ms = timeout_ms
        self._clients: dict[str, Any] = {}
        self._markets: dict[str, asyncio.Task[Any]] = {}
        self._tickers: dict[tuple[str, str], asyncio.Task[Any]] = {}
        self.requests = 0  # exchange requests made (the load benchmark reports it)

    def refresh(self) -> None:
        self._tickers = {}

    async def facts(self, exchange: str, symbol: str) -> MarketFacts:
        client = self._client(exchange)
        try:
            if exchange not in self._markets:
                self._markets[exchange] = asyncio.ensure_future(self._counted(client.load_markets()))
            markets = await asyncio.shield(self._markets[exchange])
            market = markets.get(symbol)
            if market is None:
                raise MarketDataError(f"{exchange} lists no market {symbol}")
            key = (exchange, symbol)
            if key not in self._tickers:
                self._tickers[key] = asyncio.ensure_future(self._counted(client.fetch_ticker(symbol)))
            ticker = await asyncio.shield(self._tickers[key])
        except ccxt_async.BaseError as exc:
            # Forget the failed reads so the next round asks again instead of re-raising them.
            loading = self._markets.get(exchange)
            if loading is not None and loading.done() and not loading.cancelled() and loading.exception():
                del self._markets[exchange]
            self._tickers.pop((exchange, symbol), None)
            raise MarketDataError(f"{exchange} market data unavailable ({type(exc).__name__})") from None
        return _facts(client, market, ticker)

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    async def _counted(self, call: Any) -> Any:
        self.requests += 1
        return await call

    def _client(self, exchange: str) -> Any:
        if exchange not in self._clients:
            adapter = ADAPTERS.get(exchange)
            if adapter is None:
                raise MarketDataError(f"unknown exchange {exchange}")
            client = getattr(ccxt_async, exchange)({"enableRateLimit": False, "timeout": self._timeout_ms})
            if self._sandbox_url is not None:
                client.urls["api"] = adapter.sandbox_api_urls(f"{self._sandbox_url.rstrip('/')}/{exchange}")
            self._clients[exchange] = client
        return self._clients[exchange]


def _facts(client: Any, market: dict[str, Any], ticker: dict[str, Any]) -> MarketFacts:
    """The market's rules in base units: ccxt counts contracts' amounts in contracts, so their
    steps and minimums are scaled by ``contractSize`` (0.01 BTC on OKX swaps, 1 elsewhere)."""
    price = ticker.get("last") or ticker.get("close")
    if not price:
        raise MarketDataError(f"no last price for {market.get('symbol')}")
    precision, limits = market.get("precision") or {}, market.get("limits") or {}
    size = Decimal(str(market.get("contractSize") or 1)) if market.get("contract") else Decimal(1)
    return MarketFacts(
        price=Decimal(str(price)),
        amount_step=_step(client, precision.get("amount")) * size,
        price_tick=_step(client, precision.get("price")),
        min_amount=Decimal(str((limits.get("amount") or {}).get("min") or 0)) * size,
        min_cost=Decimal(str((limits.get("cost") or {}).get("min") or 0)),
    )


def _step(client: Any, precision: Any) -> Decimal:
    """ccxt reports precision as a tick size (TICK_SIZE mode) or as decimal places."""
    if precision is None:
        return Decimal("1e-8")
    if client.precisionMode == TICK_SIZE:
        return Decimal(str(precision))
    return Decimal(1).scaleb(-int(precision))
