"""One long-lived exchange client per credential version, opened on first use, closed when replaced.

A :class:`VenueSession` is an :class:`~tradebind.exchanges.base.ExchangeAdapter` (whose
``client`` is an unmodified ``ccxt.async_support`` instance) built from the decrypted material of
one credential version. The pool keys sessions by credential; when a request resolves a newer
version than the pooled one, the pool opens the new version, swaps it in, and closes the old
client as soon as its in-flight requests are done: the old key signs nothing after that.

Markets are loaded once per exchange and handed to every later client (ccxt ``set_markets``),
so a key replacement does not reload them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from ..domain.credentials import OpenedCredential, ResolvedBinding
from ..domain.market import Market
from ..exchanges.base import ApiCredentials, Endpoint, ExchangeAdapter
from ..exchanges.registry import open_adapter
from ..vault.api import SecretValue
from .accounting import AccountingContext, Limits, Op, binance_limits
from .budgets import Charge

__all__ = ["CallTerms", "SessionPool", "VenueSession"]

OpenCredential = Callable[[str, str], Awaitable[OpenedCredential]]  # (owner_id, credential_id)

LIMITS_TTL_S = 300.0  # re-read Binance exchangeInfo rateLimits this often


@dataclass(eq=False)
class VenueSession:
    """The exchange client of one credential version."""

    adapter: ExchangeAdapter
    credential_id: str
    version_id: str
    version: int
    in_flight: int = 0
    retired: bool = False
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    # Kept per session, so each request only looks them up: the terms of each kind of request
    # (see CallTerms), and the details every request record of this key carries.
    terms: dict[tuple[Market, Op, str | None], CallTerms] = field(default_factory=dict)
    record_details: Mapping[str, str] = field(init=False)
    client: Any = field(init=False)  # the adapter's ccxt client
    exchange: str = field(init=False)

    def __post_init__(self) -> None:
        self.record_details = MappingProxyType({"key": self.adapter.key_id_masked})
        self.client = self.adapter.client
        self.exchange = self.adapter.name


class CallTerms(NamedTuple):
    """What every request of one kind (market, operation, symbol) through one session shares:
    who it is charged to, its charges, and the operation its record names."""

    ctx: AccountingContext
    charges: Sequence[Charge]
    operation: str


@dataclass
class _Markets:
    """One exchange's markets and stated limits, read through a client without a key (public data:
    a refused key must not stop them loading, and its refusal belongs to the request that uses it)."""

    public: ExchangeAdapter | None = None
    markets: Any = None
    currencies: Any = None
    limits: dict[Market, tuple[float, Limits]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_NO_KEY = ApiCredentials(SecretValue(""), SecretValue(""))
_NO_LIMITS = Limits()


def _gateway_options(adapter: ExchangeAdapter) -> None:
    """ccxt options the gateway relies on (set on the instance; ccxt itself is unmodified).
    The gateway's timeout decides when an outcome is unknown; ccxt's own throttle stays off
    (the shared budget does the exchange's accounting)."""
    adapter.client.options.update(adapter.gateway_options())


class SessionPool:
    """Sessions by credential id. ``open_credential`` decrypts (and logs the secret's use)."""

    def __init__(self, open_credential: OpenCredential, endpoint: Endpoint, *, timeout_ms: int) -> None:
        self._open_credential = open_credential
        self._endpoint = endpoint
        self._timeout_ms = timeout_ms
        self._sessions: dict[str, VenueSession] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        self._markets: dict[str, _Markets] = {}
        self._closing: set[asyncio.Task[None]] = set()

    async def acquire(self, owner_id: str, resolved: ResolvedBinding) -> VenueSession:
        """The session of ``resolved``'s current version, held open until :meth:`release`
        (opened first if it is not; see :meth:`acquire_open`).

        A pair of calls rather than a context manager: this runs once per exchange request, and
        an async context manager costs about as much as the rest of the pool's work."""
        session = self.acquire_open(resolved)
        if session is None:
            session = await self._session(owner_id, resolved)
            session.in_flight += 1
        return session

    def acquire_open(self, resolved: ResolvedBinding) -> VenueSession | None:
        """:meth:`acquire` when the session of ``resolved``'s version is open already, without
        an ``await``; None if it must be opened."""
        current = self._sessions.get(resolved.credential_id)
        if current is None or current.version < resolved.version:
            return None
        current.in_flight += 1
        return current

    def release(self, session: VenueSession) -> None:
        """Let go of a session from :meth:`acquire` (once); a replaced one closes when unused."""
        session.in_flight -= 1
        if session.retired and session.in_flight == 0:
            self._close_later(session)

    async def _session(self, owner_id: str, resolved: ResolvedBinding) -> VenueSession:
        lock = self._opening.setdefault(resolved.credential_id, asyncio.Lock())
        async with lock:
            current = self._sessions.get(resolved.credential_id)
            if current is not None and current.version >= resolved.version:
                return current
            opened = await self._open_credential(owner_id, resolved.credential_id)
            session = await self._build(opened)
            self._sessions[resolved.credential_id] = session
            if current is not None:
                current.retired = True
                if current.in_flight == 0:
                    self._close_later(current)
            return session

    async def _build(self, opened: OpenedCredential) -> VenueSession:
        credentials = ApiCredentials(opened.api_key, opened.secret, opened.passphrase)
        adapter = open_adapter(opened.exchange.value, credentials, self._endpoint)
        adapter.client.timeout = self._timeout_ms
        _gateway_options(adapter)
        try:
            shared = await self._shared(adapter.name)
        except BaseException:
            await adapter.close()
            raise
        adapter.client.set_markets(shared.markets, shared.currencies)
        return VenueSession(adapter, opened.credential_id, opened.version_id, opened.version)

    async def _shared(self, exchange: str) -> _Markets:
        shared = self._markets.setdefault(exchange, _Markets())
        async with shared.lock:
            if shared.public is None:
                shared.public = open_adapter(exchange, _NO_KEY, self._endpoint)
                shared.public.client.timeout = self._timeout_ms
                _gateway_options(shared.public)
            if shared.markets is None:
                await shared.public.client.load_markets()
                shared.markets, shared.currencies = shared.public.client.markets, shared.public.client.currencies
        return shared

    async def fetch_limits(
        self,
        session: VenueSession,
        market: Market,
        before_fetch: Callable[[], Awaitable[None]],
        after_fetch: Callable[[Mapping[str, str]], None],
    ) -> Limits:
        """Ask for the rate limits the exchange states (Binance ``exchangeInfo``) and keep them
        for :meth:`known_limits`; for when that has none.

        ``before_fetch`` runs before the exchange is asked (to charge the budget), ``after_fetch``
        gets the reply's headers (its usage counters also count the markets loaded before)."""
        shared = self._markets[session.exchange]
        await before_fetch()
        assert shared.public is not None
        client = shared.public.client
        info = await (client.publicGetExchangeInfo() if market is Market.SPOT else client.fapiPublicGetExchangeInfo())
        limits = binance_limits(info.get("rateLimits") if isinstance(info, dict) else None)
        after_fetch(client.last_response_headers or {})
        shared.limits[market] = (time.monotonic(), limits)
        return limits

    def known_limits(self, session: VenueSession, market: Market) -> Limits | None:
        """The limits ``session``'s exchange states for ``market`` if they need no request (it
        states none, or they were read in the last 5 min); None: :meth:`fetch_limits`."""
        if session.exchange != "binance":
            return _NO_LIMITS
        cached = self._markets[session.exchange].limits.get(market)
        if cached is not None and time.monotonic() - cached[0] < LIMITS_TTL_S:
            return cached[1]
        return None

    def markets(self, exchange: str) -> dict[str, Any] | None:
        """ccxt's markets of ``exchange`` once any client loaded them."""
        shared = self._markets.get(exchange)
        return shared.markets if shared is not None else None

    def current(self, credential_id: str) -> VenueSession | None:
        return self._sessions.get(credential_id)

    def _close_later(self, session: VenueSession) -> None:
        if session.closed.is_set():
            return
        session.closed.set()
        task = asyncio.get_running_loop().create_task(session.adapter.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for session in list(self._sessions.values()):
            if not session.closed.is_set():
                session.closed.set()
                await session.adapter.close()
        self._sessions.clear()
        for shared in self._markets.values():
            if shared.public is not None:
                await shared.public.close()
        self._markets.clear()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
