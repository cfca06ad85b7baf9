"""The gateway: the one component that decrypts secrets and talks to exchanges with them.

Every request: the binding's snapshot (:class:`SnapshotReader`: binding → current credential
version, guards, pause, as a fresh read would return them; on SQLite no SQL at all while nothing
has committed) → the pooled client of that version (decrypted once per version) and the terms of
the call kept with it → the shared rate budget (exchange account and egress IP) → right before
signing, whether that read is still current (:class:`BindingRead`: nothing committed since, or on
PostgreSQL the request did not wait), else the binding read once more (a key replaced or a pause
set meanwhile wins: nothing is signed with a key after its replacement commits) → the ccxt call
→ the request record (durable before the result is used: in the request journal on SQLite,
else group-committed with concurrent requests' records; if it cannot be written the request
fails) → the result. An order's client id is journaled the same way before the order leaves
(:meth:`RequestSink.sent`). Store writes that may wait for the database run on the gateway's own
threads, never on the event loop.

Nothing but :class:`GatewayError` (and its subclasses) leaves the gateway: ccxt errors of the
public requests a fresh session makes first (markets, Binance's exchangeInfo) are classified,
retried and reported like the signed request's own.

Failures, by what they mean (see :mod:`.trading` for the codes):

- the key is refused (authentication or permission verdicts): the binding is paused with the
  verdict and fix from the check's tables; every bot on it gets :class:`BindingPaused` without
  a request to the exchange until a successful re-check (:meth:`GatewayService.recheck`);
- maintenance and rate limits: back off and retry (tenacity), within ``retry_for_s``;
- unknown outcome of an order (timeout, dropped connection, 5xx, Binance -1007): query by client
  order id, polling until the request would have expired on the exchange, before any retry;
- the exchange rejects the order (funds, filters): :class:`OrderRejected`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, NamedTuple, NoReturn, TypeVar

import ccxt.async_support as ccxt
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential_jitter

from ..check.report import CheckReport
from ..check.run import run_check
from ..domain.client_order_id import client_order_id
from ..domain.credentials import OpenedCredential, ResolvedBinding
from ..domain.fixes import failure_fix
from ..domain.market import Market
from ..domain.policy import CheckPolicy
from ..domain.verdicts import Verdict
from ..exchanges.base import ApiCredentials, CallFailed, Endpoint
from ..exchanges.errors import Failure
from ..exchanges.registry import ADAPTERS, open_adapter
from ..store.binding_controls import BindingControls, BindingSnapshot, SnapshotReader
from ..store.credentials import CredentialRepository
from ..store.engine import Store
from ..store.errors import NotFound, StoreError
from ..vault.api import Vault, VaultError
from .accounting import AccountingContext, Op, charges, observations
from .api import (
    BalanceView,
    BindingNotFound,
    BindingPaused,
    BindingRef,
    GatewayError,
    GuardRefused,
    OrderIntent,
    OrderKind,
    OrderRejected,
    OrderResult,
    PositionView,
)
from .budgets import InProcessBudget, RateBudget
from .freshness import BindingRead
from .guards import check_intent, check_symbol
from .reads import SharedReads
from .records import ActivityRequestSink, RecordFailed, RequestRecord, RequestSink
from .sessions import CallTerms, SessionPool, VenueSession
from .trading import (
    EXPIRY_MS,
    contract_size,
    is_duplicate,
    is_unknown_outcome,
    market_of,
    order_params,
    order_result,
    query_by_client_id,
)

__all__ = ["PAUSING_VERDICTS", "GatewayService"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# Refusals of the key itself: retrying cannot help, the user must act (check's fix texts).
PAUSING_VERDICTS = frozenset(
    {
        Verdict.INVALID_KEY,
        Verdict.INVALID_SIGNATURE,
        Verdict.INVALID_PASSPHRASE,
        Verdict.IP_NOT_ALLOWED,
        Verdict.MISSING_PERMISSION,
        Verdict.KEY_EXPIRED,
        Verdict.WRONG_ENVIRONMENT,
        Verdict.ACCOUNT_RESTRICTED,
    }
)
_BACKOFF_VERDICTS = frozenset({Verdict.RATE_LIMITED, Verdict.EXCHANGE_UNAVAILABLE, Verdict.NETWORK_ERROR})
_REFUSALS = (ccxt.InsufficientFunds, ccxt.InvalidOrder, ccxt.BadRequest, ccxt.OperationRejected)
_RESUMING = frozenset({Verdict.CONNECTED, Verdict.CONNECTED_WITH_WARNINGS})
_POLL_S = 0.25  # between look-ups while an order's outcome is unknown
# What an exchange call can raise: ccxt's errors, the adapters' classified failures, timeouts and
# socket errors. All of them become a _Failed (then a GatewayError): none leaves the gateway raw.
_CALL_ERRORS = (TimeoutError, ccxt.BaseError, CallFailed, OSError)
MAX_LEVERAGE = 125  # the highest any of the exchanges offers (Binance BTCUSDT); each market may allow less


class _Failed(Exception):
    """An exchange call failed (already recorded); ``failure`` classified by the adapter's table.

    ``stale``: the key was refused, but it had been replaced meanwhile (the request was signed
    with the old version); the next attempt uses the new key instead of pausing the binding.
    ``sent``: False when the failure came before the request left (loading markets or limits
    for a fresh session), so its outcome is known: nothing was carried out.
    """

    def __init__(self, failure: Failure, cause: BaseException, *, stale: bool = False, sent: bool = True) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.cause = cause
        self.stale = stale
        self.sent = sent

    @property
    def unknown_outcome(self) -> bool:
        return self.sent and is_unknown_outcome(self.cause, self.failure)

    @property
    def transient(self) -> bool:
        # The check's table calls every unmapped ccxt error EXCHANGE_UNAVAILABLE; an order the
        # exchange refused (funds, filters) is not a passing condition.
        if self.stale:
            return True
        return self.failure.verdict in _BACKOFF_VERDICTS and not isinstance(self.cause, _REFUSALS)


class _Call(NamedTuple):
    """Who asks, for what: enough to charge the budget and write the record."""

    ref: BindingRef
    bot_id: str | None
    op: Op
    symbol: str | None


class GatewayService:
    """:class:`~tradebind.gateway.api.Gateway` on the store, the vault and ccxt.

    ``endpoint`` says where exchanges are (live, testnet, or a sandbox URL) and the egress
    address. Budget and sink default to the in-process budget and the activity log. Use as an
    async context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        store: Store,
        vault: Vault,
        endpoint: Endpoint | None = None,
        *,
        budget: RateBudget | None = None,
        sink: RequestSink | None = None,
        quote: str = "USDT",
        read_ttl_s: float = 1.0,
        timeout_ms: int = 10_000,
        retry_for_s: float = 60.0,
        check_policy: CheckPolicy | None = None,
    ) -> None:
        self._store = store
        self._vault = vault
        self._endpoint = endpoint or Endpoint()
        self._budget = budget or InProcessBudget()
        self._sink = sink or ActivityRequestSink(store)
        self._snapshots = SnapshotReader(store)
        self._quote = quote
        self._reads = SharedReads(read_ttl_s)
        self._retry_for_s = retry_for_s
        self._check_policy = check_policy or CheckPolicy()
        self._pool = SessionPool(self._open_credential, self._endpoint, timeout_ms=timeout_ms)
        self._ip = self._endpoint.source_ip or "default"
        # Store writes (the sent-order journal, pauses, opening a key) wait for the database's
        # write lock: never on the event loop, where that wait would stall every bot. Threads
        # of the gateway's own, so they do not queue behind the callers' store work either.
        self._store_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="tradebind-gateway-store")

    async def __aenter__(self) -> GatewayService:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._pool.close()
        await self._sink.close()
        self._snapshots.close()
        self._store_threads.shutdown(wait=True)

    @property
    def budget(self) -> RateBudget:
        return self._budget

    async def flush_records(self) -> None:
        """Return once every request recorded so far is in the activity log, where the cabinet
        shows it (each was durable before its result was used; on SQLite it is copied from the
        request journal moments later). Raises :class:`GatewayError` if some are not there yet
        (the database refused; they stay in the journal and are copied later)."""
        try:
            await self._sink.flush()
        except RecordFailed:
            raise GatewayError("request records are not in the activity log yet; they are kept") from None

    # -- the Gateway protocol -----------------------------------------------------------------

    def client_order_id(self, ref: BindingRef, intent: OrderIntent) -> str:
        snapshot = self._snapshot(ref)
        return client_order_id(
            snapshot.resolved.exchange.value, market_of(intent.symbol), intent.bot_id, intent.deal_id, intent.step
        )

    async def place_order(self, ref: BindingRef, intent: OrderIntent) -> OrderResult:
        read = self._read_binding(ref)
        snapshot = read.snapshot
        if snapshot.pause is not None:  # before the journal: a paused binding sends nothing
            raise BindingPaused(Verdict(snapshot.pause.verdict), snapshot.pause.fix)
        exchange = snapshot.resolved.exchange.value
        self._check_market(snapshot, intent.symbol)
        if intent.amount <= 0 or (intent.price is not None and intent.price <= 0):
            raise GuardRefused("amount: must be positive (and price, when given)")
        if intent.kind is OrderKind.LIMIT and intent.price is None:
            raise GuardRefused("price: a limit order needs a price")
        price = intent.price
        if price is None and snapshot.guards.max_order_value is not None:
            price = await self._last_price(ref, intent.bot_id, intent.symbol)
        check_intent(intent, snapshot.guards, price)
        cid = client_order_id(exchange, market_of(intent.symbol), intent.bot_id, intent.deal_id, intent.step)
        try:
            return await self._place_once(ref, intent, cid, read)
        finally:
            self._forget_reads(ref.binding_id)

    async def cancel_order(
        self, ref: BindingRef, symbol: str, client_order_id: str, *, bot_id: str | None = None
    ) -> OrderResult:
        call = _Call(ref, bot_id, Op.CANCEL, symbol)
        read = self._read_binding(ref)
        exchange = read.snapshot.resolved.exchange.value
        found = await self._lookup(ref, bot_id, exchange, symbol, client_order_id, read)
        if found is None:
            raise GatewayError(f"client_order_id: no order {client_order_id} on {symbol}")
        if found.get("status") == "open":
            order_id = found["id"]
            try:
                await self._with_backoff(call, lambda s: s.client.cancel_order(order_id, symbol))
            except _Failed as failed:
                # Unknown outcome, or the order ended meanwhile (filled): the look-up says which.
                if not (failed.unknown_outcome or isinstance(failed.cause, ccxt.OrderNotFound)):
                    raise self._refusal(failed, "cancel") from None
            finally:
                self._forget_reads(ref.binding_id)
            found = await self._lookup(ref, bot_id, exchange, symbol, client_order_id) or found
        return order_result(found, client_order_id, self._size(exchange, symbol))

    async def query_order(
        self, ref: BindingRef, symbol: str, client_order_id: str, *, bot_id: str | None = None
    ) -> OrderResult | None:
        read = self._read_binding(ref)
        exchange = read.snapshot.resolved.exchange.value
        found = await self._lookup(ref, bot_id, exchange, symbol, client_order_id, read)
        return order_result(found, client_order_id, self._size(exchange, symbol)) if found is not None else None

    async def open_orders(
        self, ref: BindingRef, symbol: str | None = None, *, bot_id: str | None = None
    ) -> list[OrderResult]:
        read = self._read_binding(ref)
        snapshot = read.snapshot
        market = snapshot.resolved.binding.market
        exchange = snapshot.resolved.exchange.value
        call = _Call(ref, bot_id, Op.OPEN_ORDERS, symbol)

        async def fetch() -> list[OrderResult]:
            orders = await self._read(
                call, lambda s: s.client.fetch_open_orders(symbol, None, None, _type_of(market)), read
            )
            mine = [o for o in orders if market_of(str(o.get("symbol"))) is market]
            return [order_result(o, size=self._size(exchange, str(o.get("symbol")))) for o in mine]

        key = (ref.binding_id, snapshot.resolved.version_id, "open_orders", symbol)
        result: list[OrderResult] = await self._reads.get(key, fetch)
        return list(result)

    async def positions(self, ref: BindingRef, *, bot_id: str | None = None) -> list[PositionView]:
        read = self._read_binding(ref)
        snapshot = read.snapshot
        if snapshot.resolved.binding.market is Market.SPOT:
            return []
        call = _Call(ref, bot_id, Op.POSITIONS, None)
        rows = await self._read(
            call,
            lambda s: s.client.fetch_positions(None, {**_type_of(Market.FUTURES), **s.adapter.position_params()}),
            read,
        )
        exchange = snapshot.resolved.exchange.value
        return [
            _position(p, self._size(exchange, str(p.get("symbol"))))
            for p in rows
            if Decimal(str(p.get("contracts") or 0)) != 0
        ]

    async def balance(self, ref: BindingRef, *, bot_id: str | None = None) -> BalanceView:
        read = self._read_binding(ref)
        snapshot = read.snapshot
        market = snapshot.resolved.binding.market
        call = _Call(ref, bot_id, Op.BALANCE, None)

        async def fetch() -> BalanceView:
            figures = await self._read(call, lambda s: s.adapter.trading_figures(market), read)
            mine = figures.get(self._quote)
            return BalanceView(
                asset=self._quote,
                wallet_balance=mine.wallet_balance if mine else Decimal(0),
                available=mine.available if mine else Decimal(0),
                fetched_at_ms=int(time.time() * 1000),
            )

        view: BalanceView = await self._reads.get((ref.binding_id, snapshot.resolved.version_id, "balance"), fetch)
        return view

    async def set_leverage(self, ref: BindingRef, symbol: str, leverage: int, *, bot_id: str | None = None) -> int:
        """Set the account's leverage for ``symbol`` (a linear contract) to ``leverage``; returns it.

        Idempotent: setting the leverage already in force succeeds (each exchange's way is in its
        adapter's ``set_leverage``). Recorded, budgeted and retried like every request; a paused
        binding sends nothing (:class:`BindingPaused`); the binding's symbol guard applies
        (:class:`GuardRefused`); a leverage the market does not allow is :class:`OrderRejected`.
        """
        read = self._read_binding(ref)
        snapshot = read.snapshot
        if snapshot.pause is not None:
            raise BindingPaused(Verdict(snapshot.pause.verdict), snapshot.pause.fix)
        self._check_market(snapshot, symbol)
        if market_of(symbol) is not Market.FUTURES:
            raise GuardRefused(f"symbol: {symbol} is a spot symbol; leverage applies to futures")
        if isinstance(leverage, bool) or not isinstance(leverage, int) or not 1 <= leverage <= MAX_LEVERAGE:
            raise GuardRefused(f"leverage: must be a whole number from 1 to {MAX_LEVERAGE}")
        check_symbol(symbol, snapshot.guards)
        call = _Call(ref, bot_id, Op.LEVERAGE, symbol)
        await self._read(call, lambda s: s.adapter.set_leverage(leverage, symbol), read)
        return leverage

    # -- guards and the circuit breaker -------------------------------------------------------

    def controls(self, owner_id: str) -> BindingControls:
        return BindingControls(self._store, owner_id, actor="gateway")

    async def recheck(self, ref: BindingRef) -> CheckReport:
        """Run the connection check with the binding's current key; resume its bots if it passes."""
        snapshot = self._snapshot(ref)
        opened = await self._open_credential(ref.owner_id, snapshot.resolved.credential_id, purpose="check")
        credentials = ApiCredentials(opened.api_key, opened.secret, opened.passphrase)
        async with open_adapter(opened.exchange.value, credentials, self._endpoint) as adapter:
            report = await run_check(adapter, snapshot.resolved.binding.market, self._check_policy)
        self.resume_after_check(ref, report)
        return report

    def resume_after_check(self, ref: BindingRef, report: CheckReport) -> bool:
        """Close the binding's circuit if ``report`` (a check of its current key) passed."""
        if report.decision.verdict not in _RESUMING:
            return False
        return self.controls(ref.owner_id).resume(ref.binding_id, verdict=report.decision.verdict.value)

    # -- orders ---------------------------------------------------------------------------------

    async def _place_once(self, ref: BindingRef, intent: OrderIntent, cid: str, read: BindingRead) -> OrderResult:
        exchange = read.snapshot.resolved.exchange.value
        # An id sent before (an earlier call, or before a crash) may exist on the exchange: look
        # first, since Binance and OKX accept a reused client id once the earlier order is done.
        first_read: BindingRead | None = read
        if not await self._journal_sent(ref, cid):
            found = await self._lookup(ref, intent.bot_id, exchange, intent.symbol, cid, read)
            if found is not None:
                return order_result(found, cid, self._size(exchange, intent.symbol))
            first_read = None
        call = _Call(ref, intent.bot_id, Op.PLACE, intent.symbol)
        deadline = time.monotonic() + self._retry_for_s
        while True:
            sent_ms = time.time() * 1000
            try:
                attempt_read, first_read = first_read, None
                placed = await self._with_backoff(
                    call,
                    lambda s: s.client.create_order(
                        intent.symbol,
                        intent.kind.value,
                        intent.side.value,
                        float(intent.amount / self._size(exchange, intent.symbol)),
                        float(intent.price) if intent.price is not None else None,
                        order_params(exchange, intent, cid),
                    ),
                    attempt_read,
                    definite_only=True,
                )
                if placed.get("status") is None:
                    # OKX and Bybit acknowledge with ids only. A market order's fill takes a
                    # look-up; a limit order is reported as accepted (open), as acknowledged.
                    if intent.kind is OrderKind.MARKET:
                        placed = await self._lookup(ref, intent.bot_id, exchange, intent.symbol, cid) or placed
                    else:
                        placed = _acknowledged(placed, intent, self._size(exchange, intent.symbol))
                return order_result(placed, cid, self._size(exchange, intent.symbol))
            except _Failed as failed:
                if not (failed.unknown_outcome or is_duplicate(failed.failure)):
                    raise self._refusal(failed, "place") from None
                what = failed.failure.code or type(failed.cause).__name__
                log.info("order %s: outcome unknown (%s); looking it up", cid, what)
            found = await self._reconcile(ref, intent.bot_id, exchange, intent.symbol, cid, sent_ms)
            if found is not None:
                return order_result(found, cid, self._size(exchange, intent.symbol))
            if time.monotonic() > deadline:
                raise GatewayError(f"order {cid}: the exchange did not take it; try again later")

    async def _journal_sent(self, ref: BindingRef, cid: str) -> bool:
        """Journal ``cid`` as about to be sent on the binding: True the first time. If it cannot be
        journaled, nothing is sent (fail closed)."""
        try:
            return await self._sink.sent(ref.owner_id, ref.binding_id, cid)
        except NotFound:
            raise BindingNotFound("binding not found", field="binding_id") from None
        except RecordFailed:
            raise GatewayError(f"order {cid}: it could not be journaled, so it was not sent") from None

    async def _reconcile(
        self, ref: BindingRef, bot_id: str | None, exchange: str, symbol: str, cid: str, sent_ms: float
    ) -> dict[str, Any] | None:
        """The order after an unknown outcome, or None once it can no longer appear."""
        expires_ms = sent_ms + EXPIRY_MS[exchange]
        while True:
            found = await self._lookup(ref, bot_id, exchange, symbol, cid)
            if found is not None:
                return found
            remaining_s = (expires_ms - time.time() * 1000) / 1000
            if remaining_s <= 0:
                return None
            await asyncio.sleep(min(_POLL_S, remaining_s))

    def _lookup(
        self,
        ref: BindingRef,
        bot_id: str | None,
        exchange: str,
        symbol: str,
        cid: str,
        read: BindingRead | None = None,
    ) -> Awaitable[dict[str, Any] | None]:
        """The look-up of ``cid`` by client order id (:meth:`_read`); not a coroutine of its own,
        so a look-up's frames are the request's."""
        call = _Call(ref, bot_id, Op.QUERY, symbol)
        return self._read(call, lambda s: query_by_client_id(s.client, exchange, symbol, cid), read)

    async def _last_price(self, ref: BindingRef, bot_id: str, symbol: str) -> Decimal:
        base, _, rest = symbol.partition("/")
        quote = rest.split(":")[0]
        call = _Call(ref, bot_id, Op.TICKER, symbol)
        prices = await self._read(call, lambda s: s.adapter.prices([base], quote))
        if base not in prices:
            raise GuardRefused("max_order_value: the exchange gave no price to value the order")
        return prices[base]

    # -- one request ------------------------------------------------------------------------------

    async def _read(
        self, call: _Call, fn: Callable[[VenueSession], Awaitable[T]], read: BindingRead | None = None
    ) -> T:
        """:meth:`_with_backoff`, its failure raised as the :class:`GatewayError` it means."""
        try:
            try:  # _with_backoff written out: one coroutine fewer on every look-up
                return await self._request(call, fn, read)
            except _Failed as failed:
                return await self._retry(call, fn, failed)
        except _Failed as failed:
            raise self._refusal(failed, call.op.value) from None

    async def _with_backoff(
        self,
        call: _Call,
        fn: Callable[[VenueSession], Awaitable[T]],
        read: BindingRead | None = None,
        *,
        definite_only: bool = False,
    ) -> T:
        """The request, retried while it fails transiently (maintenance, rate limit, network).

        The first attempt may use the caller's ``read`` of the binding; every retry reads the
        binding again (a key replaced meanwhile is picked up). With ``definite_only`` an unknown
        outcome is not retried here (the order path reconciles).
        """
        try:
            return await self._request(call, fn, read)
        except _Failed as failed:
            return await self._retry(call, fn, failed, definite_only=definite_only)

    async def _retry(
        self, call: _Call, fn: Callable[[VenueSession], Awaitable[T]], failed: _Failed, *, definite_only: bool = False
    ) -> T:
        """After a first attempt that failed with ``failed``: raise it unless it is transient, else
        back off and try again. The first attempt runs bare (most requests succeed: no retry
        machinery per request); its failure is replayed as tenacity's first attempt, so the
        back-off schedule is the same."""

        def retriable(exc: BaseException) -> bool:
            return isinstance(exc, _Failed) and exc.transient and not (definite_only and exc.unknown_outcome)

        if not retriable(failed):
            raise failed
        first: list[_Failed] = [failed]

        async def replay() -> T:
            if first:
                raise first.pop()
            return await self._request(call, fn)

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Failed) & _Predicate(retriable),
            wait=wait_exponential_jitter(multiplier=0.2, max=5.0, jitter=0.1),
            stop=stop_after_delay(self._retry_for_s),
            reraise=True,
        )
        async for attempt_state in retrying:
            with attempt_state:
                return await replay()
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _request(
        self, call: _Call, fn: Callable[[VenueSession], Awaitable[T]], read: BindingRead | None = None
    ) -> T:
        """One exchange call: the session of the binding's current key, the budget, the call,
        its record (durable before the result is used), and what a failure means for the binding."""
        read = read or self._read_binding(call.ref)
        charged: str | None = None  # the account whose budget this request has been charged to
        while True:
            snapshot = read.snapshot
            if snapshot.pause is not None:
                raise BindingPaused(Verdict(snapshot.pause.verdict), snapshot.pause.fix)
            resolved = snapshot.resolved
            market = market_of(call.symbol) if call.symbol else resolved.binding.market
            session = self._pool.acquire_open(resolved) or await self._session(call, resolved)
            try:
                terms = self._terms(session, resolved, market, call) or await self._fetch_terms(
                    session, resolved, market, call
                )
                ctx = terms.ctx
                if charged != ctx.account:  # a new key of the same account keeps the charge taken
                    if not self._budget.try_acquire(terms.charges):
                        await self._budget.acquire(terms.charges)
                    charged = ctx.account
                # No await between this check and the signature (ccxt signs before its first
                # await): if anything committed since the binding was read (or, without a commit
                # watch, if this request waited since), it is read again, so a key replaced or a
                # pause set meanwhile is honoured and nothing sent after a replacement commits is
                # signed with the old key.
                if not read.current():
                    read = self._read_binding(call.ref)
                    if read.snapshot.pause is not None or read.snapshot.resolved.version_id != resolved.version_id:
                        continue
                sent_at, started = time.time(), time.monotonic()
                try:
                    result = await fn(session)
                except _CALL_ERRORS as exc:
                    await self._failed(call, session, terms, market, exc, sent_at, started)
                headers = session.client.last_response_headers
                seen = observations(ctx, call.op, headers) if headers else None
                if seen:
                    self._budget.observe(seen)
                waiting = self._record(call, session, terms, None, round((time.monotonic() - started) * 1000), sent_at)
                if waiting is not None:
                    await _recorded(waiting)
                return result
            finally:
                self._pool.release(session)

    async def _session(self, call: _Call, resolved: ResolvedBinding) -> VenueSession:
        """The pooled session of ``resolved``, acquired (the caller releases it)."""
        try:
            return await self._pool.acquire(call.ref.owner_id, resolved)
        except _CALL_ERRORS as exc:  # a fresh session loads markets first (see _fetch_terms)
            raise _not_sent(resolved.exchange.value, exc) from None
        except (StoreError, VaultError) as exc:  # the key could not be opened (deleted, KEK down)
            raise GatewayError(f"the binding's key could not be opened ({type(exc).__name__})") from None

    def _terms(self, session: VenueSession, resolved: ResolvedBinding, market: Market, call: _Call) -> CallTerms | None:
        """The terms of ``call`` through ``session`` if the limits its exchange states are known
        (None: :meth:`_fetch_terms`); kept on the session while the limits and account stand."""
        limits = self._pool.known_limits(session, market)
        if limits is None:
            return None
        key = (market, call.op, call.symbol)
        kept = session.terms.get(key)
        if kept is not None and kept.ctx.limits is limits and kept.ctx.account == resolved.account_key:
            return kept
        ctx = AccountingContext(resolved.exchange.value, market, resolved.account_key, self._ip, limits)
        operation = f"{session.exchange} {call.op.value}" + (f" {call.symbol}" if call.symbol else "")
        kept = session.terms[key] = CallTerms(ctx, charges(ctx, call.op, call.symbol), operation)
        return kept

    async def _fetch_terms(
        self, session: VenueSession, resolved: ResolvedBinding, market: Market, call: _Call
    ) -> CallTerms:
        """:meth:`_terms` once the limits the exchange states are read (Binance's exchangeInfo).

        That read is a public request: it fails like any other (maintenance, timeouts) before
        the signed one is sent, so it is retried and reported as the request's failure, never
        raised raw."""
        exchange = resolved.exchange.value
        ctx = AccountingContext(exchange, market, resolved.account_key, self._ip)
        try:
            await self._pool.fetch_limits(
                session,
                market,
                lambda: self._budget.acquire(charges(ctx, Op.MARKETS)),
                lambda headers: self._budget.observe(observations(ctx, Op.MARKETS, headers)),
            )
        except _CALL_ERRORS as exc:
            raise _not_sent(exchange, exc) from None
        terms = self._terms(session, resolved, market, call)
        assert terms is not None  # the limits were just read
        return terms

    async def _failed(
        self,
        call: _Call,
        session: VenueSession,
        terms: CallTerms,
        market: Market,
        exc: Exception,
        sent_at: float,
        started: float,
    ) -> NoReturn:
        """A failed exchange call: its record, then what the failure means for the binding."""
        failure = exc.failure if isinstance(exc, CallFailed) else session.adapter.errors.classify(exc)
        failure = Failure(failure.verdict, failure.code, session.adapter.scrub(failure.message))
        latency_ms = round((time.monotonic() - started) * 1000)
        self._budget.observe(observations(terms.ctx, call.op, session.client.last_response_headers or {}))
        waiting = self._record(call, session, terms, failure, latency_ms, sent_at)
        if waiting is not None:
            await _recorded(waiting)
        if failure.verdict in PAUSING_VERDICTS or (failure.verdict is None and failure.code is not None):
            if self._snapshot(call.ref).resolved.version_id != session.version_id:
                raise _Failed(failure, exc, stale=True)
            await self._pause(call.ref, session, market, failure)
        raise _Failed(failure, exc)

    def _record(
        self,
        call: _Call,
        session: VenueSession,
        terms: CallTerms,
        failure: Failure | None,
        latency_ms: int,
        sent_at: float,
    ) -> Awaitable[object] | None:
        """One record per exchange call: the adapter's calls (balance reads make several) each
        with their endpoint, or the one ccxt call of the operation. None once they are durable
        (journaled), else what to await (:func:`_recorded`) until they are; GatewayError if they
        cannot be written. Not a coroutine: on the journal it is done without one."""
        outcome = "ok" if failure is None else _result_text(failure)
        evidence = session.adapter.evidence
        if evidence:
            calls = [(f"{terms.operation} {e.call}", "ok" if e.ok else outcome, e.elapsed_ms) for e in evidence]
            evidence.clear()  # the gateway keeps records, not evidence
        else:
            calls = [(terms.operation, outcome, latency_ms)]
        ref = call.ref
        waiting: list[Awaitable[None]] = []
        try:
            for endpoint, result, elapsed in calls:
                # Positional, in field order (owner, binding, bot, credential, version, endpoint,
                # result, latency, details, sent at): keywords cost a named tuple twice as much.
                record = RequestRecord(
                    ref.owner_id,
                    ref.binding_id,
                    call.bot_id,
                    session.credential_id,
                    session.version,
                    endpoint,
                    result,
                    elapsed,
                    session.record_details,
                    sent_at,
                )
                pending = self._sink.record_now(record)
                if pending is not None:
                    waiting.append(pending)
        except RecordFailed:
            raise GatewayError(_NOT_RECORDED) from None
        if not waiting:
            return None
        # Recorded together: a sink that waits for its commit waits once for all.
        return waiting[0] if len(waiting) == 1 else asyncio.gather(*waiting)

    async def _pause(self, ref: BindingRef, session: VenueSession, market: Market, failure: Failure) -> None:
        adapter = session.adapter
        try:
            verdict = failure.verdict or await adapter.resolve(failure, market, None, self._check_policy.egress_ips)
        except _CALL_ERRORS as exc:  # the refusal's meaning could not be asked: keep the binding running
            raise _Failed(Failure(Verdict.EXCHANGE_UNAVAILABLE, failure.code, failure.message), exc) from None
        fix = failure_fix(verdict, adapter.terms, adapter.failure_detail(verdict, failure))
        controls = self.controls(ref.owner_id)
        pause = await self._in_store(
            functools.partial(controls.pause, ref.binding_id, verdict=verdict.value, fix=fix, version=session.version)
        )
        log.warning("binding %s paused: %s", ref.binding_id, pause.verdict)
        raise BindingPaused(Verdict(pause.verdict), pause.fix)

    def _refusal(self, failed: _Failed, what: str) -> GatewayError:
        failure = failed.failure
        detail = f"{failure.code}: {failure.message}" if failure.code else failure.message
        refused = isinstance(failed.cause, _REFUSALS) or (failure.verdict is None and not failed.transient)
        if failed.sent and refused:
            return OrderRejected(f"{what}: the exchange refused: {detail}")
        return GatewayError(f"{what}: {failure.verdict.value if failure.verdict else 'failed'}: {detail}")

    # -- helpers ----------------------------------------------------------------------------------

    def _read_binding(self, ref: BindingRef) -> BindingRead:
        try:
            snapshot, token = self._snapshots.read(ref.owner_id, ref.binding_id)
        except NotFound:
            raise BindingNotFound("binding not found", field="binding_id") from None
        return BindingRead(snapshot, token, self._snapshots)

    def _snapshot(self, ref: BindingRef) -> BindingSnapshot:
        # Current for every request: a replaced key, a changed guard or a pause committed by any
        # process reaches the next request (on SQLite the reader checks the binding generation).
        try:
            return self._snapshots.snapshot(ref.owner_id, ref.binding_id)
        except NotFound:
            raise BindingNotFound("binding not found", field="binding_id") from None

    def _check_market(self, snapshot: BindingSnapshot, symbol: str) -> None:
        market = snapshot.resolved.binding.market
        if market_of(symbol) is not market:
            raise GuardRefused(f"symbol: {symbol} is not a {market.value} symbol; this binding trades {market.value}")

    def _size(self, exchange: str, symbol: str) -> Decimal:
        return contract_size(self._pool.markets(exchange), symbol)

    def _forget_reads(self, binding_id: str) -> None:
        self._reads.invalidate(lambda key: isinstance(key, tuple) and key[0] == binding_id)

    async def _open_credential(self, owner_id: str, credential_id: str, purpose: str = "gateway") -> OpenedCredential:
        repo = CredentialRepository(self._store, self._vault, owner_id, actor="gateway")
        return await self._in_store(functools.partial(repo.open, credential_id, purpose=purpose))

    async def _in_store(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._store_threads, fn, *args)


_NOT_RECORDED = "the request could not be recorded, so its result was not used"


async def _recorded(waiting: Awaitable[object]) -> None:
    """Wait for records :meth:`GatewayService._record` could not make durable at once."""
    try:
        await waiting
    except RecordFailed:
        raise GatewayError(_NOT_RECORDED) from None


def _not_sent(exchange: str, exc: Exception) -> _Failed:
    """A failure before the signed request left, classified by the exchange's table."""
    failure = exc.failure if isinstance(exc, CallFailed) else ADAPTERS[exchange].errors.classify(exc)
    # Public requests carry no key, but the failure is reported, so keep it short and plain.
    verdict = failure.verdict or Verdict.EXCHANGE_UNAVAILABLE  # a public request says nothing of the key
    return _Failed(Failure(verdict, failure.code, failure.message[:200]), exc, sent=False)


class _Predicate:
    """A tenacity retry condition from a predicate on the raised exception."""

    def __init__(self, predicate: Callable[[BaseException], bool]) -> None:
        self._predicate = predicate

    def __call__(self, state: Any) -> bool:
        outcome = state.outcome
        return outcome is not None and outcome.failed and self._predicate(outcome.exception())


def _type_of(market: Market) -> dict[str, Any]:
    """ccxt params selecting the market's account for calls without a symbol."""
    if market is Market.SPOT:
        return {"type": "spot"}
    return {"type": "swap", "subType": "linear"}


def _acknowledged(ack: dict[str, Any], intent: OrderIntent, size: Decimal) -> dict[str, Any]:
    """A ccxt order from an id-only acknowledgement of a limit order: accepted, nothing filled."""
    return {
        **ack,
        "symbol": intent.symbol,
        "side": intent.side.value,
        "type": intent.kind.value,
        "status": "open",
        "amount": intent.amount / size,
        "filled": 0,
        "price": intent.price,
    }


def _result_text(failure: Failure) -> str:
    verdict = failure.verdict.value if failure.verdict else "REFUSED"
    return f"{verdict}: {failure.code}" if failure.code else verdict


def _position(p: dict[str, Any], size: Decimal) -> PositionView:
    contracts = Decimal(str(p.get("contracts") or 0)) * size
    if p.get("side") == "short":
        contracts = -contracts
    return PositionView(
        symbol=str(p.get("symbol")),
        contracts=contracts,
        entry_price=Decimal(str(p.get("entryPrice") or 0)),
        mark_price=Decimal(str(p.get("markPrice") or 0)),
        unrealised_pnl=Decimal(str(p.get("unrealizedPnl") or 0)),
        leverage=int(float(p.get("leverage") or 1)),
    )
