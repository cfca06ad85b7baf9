"""The bot runner: runs every ``running`` bot it holds a lease on, one tick at a time.

Each tick, per bot: (0) a futures bot that would share its position with an earlier trading
bot at another leverage or direction is halted (the cabinet refuses to start such a bot, but two
starts can race past its check); a futures bot sets its leverage on the exchange once per start
(and when its parameters change) before anything else; (1) make sure every order the stored deal
says may exist is known — right after a (re)start every ``pending`` or ``open`` order is
queried by client order id before anything else; later, ``pending`` ones are queried and
``open`` ones are checked against the binding's open-order list (one read per binding and
symbol, shared by its bots); (2) ask the strategy for actions and carry them out through the
:class:`~tradebind.gateway.api.Gateway`.

Crash safety: an order is written ``pending`` with its client order id *before* the gateway is
asked to place it, and its outcome is written after. A crash anywhere leaves either no row (the
order was never sent) or a row to reconcile; a ``pending`` order the exchange has never seen is
re-sent with the same intent (same client order id) only once the exchange would refuse the
original request as expired (``unknown_grace_s``), so a request still in flight from before a
crash cannot land next to its retry. Bots never see secrets: they hold a :class:`BindingRef`, the gateway does the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from ..domain.credentials import Bot, BotState
from ..domain.market import Market
from ..gateway.api import (
    BalanceView,
    BindingPaused,
    BindingRef,
    Gateway,
    GatewayError,
    GuardRefused,
    OrderIntent,
    OrderKind,
    OrderRejected,
    OrderResult,
    OrderState,
)
from ..gateway.trading import EXPIRY_MS
from ..store.bindings import BindingRepository
from ..store.bots import BotRepository
from ..store.deals import DealOrderRecord, DealRecord, DealRepository, bots_in_state
from ..store.engine import Store
from ..store.errors import StoreError
from .deal_view import deal_view, intent_of, step_state
from .market_data import MarketData, MarketDataError
from .position_uses import PositionUses
from .schedule import BotSchedule, InProcessSchedule
from .strategies.dca import Cancel, Close, DcaParams, DcaParamsError, Halt, Place, StepState, decide
from .symbols import ccxt_symbol

__all__ = ["BotRunner", "RunnerConfig"]

log = logging.getLogger(__name__)
T = TypeVar("T")
K = TypeVar("K")

DCA = "dca"
MAX_ACTIONS_PER_TICK = 8  # decide → act rounds per bot per tick (cancel, then replace, ...)


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    interval_s: float = 1.0
    lease_ttl_s: float = 15.0
    # How long after recording an order whose outcome is unknown the runner waits before sending
    # it again when the exchange has never seen it; None: the exchange's request expiry
    # (tradebind.gateway.trading.EXPIRY_MS), after which a late request is refused anyway.
    unknown_grace_s: float | None = None
    # Bot steps in flight at once. More only lengthen the queues (store threads, the gateway's
    # budgets) that every step, and the schedule itself, must wait in; bots beyond it are skipped
    # by a tick until their step has run.
    max_concurrent_steps: int = 32
    stop_grace_s: float = 10.0  # on stop, how long steps in flight may take before they are cancelled
    worker_id: str = field(default_factory=lambda: f"worker-{uuid.uuid4().hex[:8]}")


@dataclass(slots=True)
class _BotContext:
    """What the runner keeps of one leased bot between ticks (the store stays the truth)."""

    bot: Bot
    ref: BindingRef
    exchange: str
    symbol: str
    params: DcaParams
    deal: DealRecord | None = None
    loaded: bool = False  # the open deal has been read from the store and fully reconciled
    # The bot's leverage has been set on the exchange by this process (futures only). A new
    # context (a restart, changed parameters) sets it again before anything else.
    leverage_set: bool = False


class _SharedReads:
    """One tick's shared reads: a balance per binding, open orders per binding and symbol."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._balances: dict[str, asyncio.Future[BalanceView]] = {}
        self._open: dict[tuple[str, str], asyncio.Future[list[OrderResult]]] = {}

    async def balance(self, ref: BindingRef) -> BalanceView:
        return await _once(self._balances, ref.binding_id, lambda: self._gateway.balance(ref))

    async def open_orders(self, ref: BindingRef, symbol: str) -> list[OrderResult]:
        return await _once(self._open, (ref.binding_id, symbol), lambda: self._gateway.open_orders(ref, symbol))


async def _once(cache: dict[K, asyncio.Future[T]], key: K, call: Callable[[], Awaitable[T]]) -> T:
    """Await the one shared call for ``key`` (started by the first caller)."""
    if key not in cache:
        cache[key] = asyncio.ensure_future(call())
    return await asyncio.shield(cache[key])


class BotRunner:
    """Runs leased bots on a schedule. ``run()`` loops until ``stop()``; ``tick()`` is one round."""

    def __init__(
        self,
        store: Store,
        gateway: Gateway,
        market_data: MarketData,
        *,
        schedule: BotSchedule | None = None,
        config: RunnerConfig | None = None,
    ) -> None:
        self._store = store
        self._gateway = gateway
        self._market = market_data
        self._schedule = schedule or InProcessSchedule()
        self.config = config or RunnerConfig()
        self._bots: dict[str, _BotContext] = {}
        self._stopping = asyncio.Event()
        self._steps: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(self.config.max_concurrent_steps)
        self.ticks = 0
        self.steps = 0  # bot steps started (the load benchmark divides requests by it)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Tick every ``interval_s`` until :meth:`stop`; release the leases on the way out.

        A tick does not wait for slow bots (one stuck in the gateway's back-off): each bot's step
        runs as its own task and the bot is simply skipped until its step is done.
        """
        try:
            while not self._stopping.is_set():
                await self.tick(wait=False)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.config.interval_s)
        finally:
            await self._drain(self.config.stop_grace_s)
            await self._schedule.release(self.config.worker_id, list(self._bots))

    async def tick(self, *, wait: bool = True) -> None:
        """One round over every running bot this worker holds a lease on (whose last step is
        done); with ``wait``, return once every step in flight has finished."""
        running = await asyncio.to_thread(bots_in_state, self._store, BotState.RUNNING)
        held = await self._schedule.claim(self.config.worker_id, [b.id for b in running], self.config.lease_ttl_s)
        gone = [bot_id for bot_id in self._bots if bot_id not in held and bot_id not in self._steps]
        for bot_id in gone:
            del self._bots[bot_id]
        await self._schedule.release(self.config.worker_id, gone)
        self._market.refresh()
        shared = _SharedReads(self._gateway)
        for bot in running:
            if bot.id not in held or bot.id in self._steps:
                continue
            # The bot's context (its binding, read from the store for a new or changed bot) is
            # made inside its step, so a tick over many new bots does not wait for each in turn.
            task = asyncio.create_task(self._step(bot, shared))
            self._steps[bot.id] = task
            task.add_done_callback(functools.partial(self._step_done, bot.id))
        self.ticks += 1
        if wait:
            await self._drain(None)

    def _step_done(self, bot_id: str, _task: asyncio.Task[None]) -> None:
        self._steps.pop(bot_id, None)

    async def _drain(self, timeout_s: float | None) -> None:
        """Wait for the steps in flight; cancel what is left after ``timeout_s`` (safe: a cancelled
        step is a crash the next start reconciles)."""
        steps = list(self._steps.values())
        if not steps:
            return
        _, late = await asyncio.wait(steps, timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)

    # per bot -------------------------------------------------------------------------------------

    async def _context(self, bot: Bot) -> _BotContext | None:
        ctx = self._bots.get(bot.id)
        if ctx is not None and ctx.bot.params == bot.params and ctx.bot.binding_id == bot.binding_id:
            return ctx
        if bot.strategy != DCA or bot.binding_id is None:
            await self._halt(bot, f"cannot run strategy {bot.strategy!r} without a binding")
            return None
        try:
            params = DcaParams.parse(bot.params)
        except DcaParamsError as exc:
            await self._halt(bot, str(exc))
            return None
        resolved = await asyncio.to_thread(BindingRepository(self._store, bot.owner_id).resolve, bot.binding_id)
        if resolved.binding.market.value != params.market.value:
            await self._halt(bot, f"the bot trades {params.market.value} but its binding is {resolved.binding.market}")
            return None
        if params.market is Market.FUTURES:
            conflict = await asyncio.to_thread(PositionUses(self._store, bot.owner_id).conflict_with_earlier, bot)
            if conflict is not None:  # started beside a bot it would fight over one position
                await self._halt(bot, conflict[1])
                return None
        ctx = _BotContext(
            bot=bot,
            ref=BindingRef(bot.owner_id, bot.binding_id),
            exchange=resolved.exchange.value,
            symbol=ccxt_symbol(bot.symbol, params),
            params=params,
            deal=ctx.deal if ctx is not None else None,
        )
        self._bots[bot.id] = ctx
        return ctx

    async def _step(self, bot: Bot, shared: _SharedReads) -> None:
        async with self._slots:
            try:
                ctx = await self._context(bot)
            except StoreError as exc:  # e.g. its binding was deleted meanwhile
                log.warning("bot %s cannot run: %s", bot.id, exc)
                return
            if ctx is not None:
                await self._step_now(ctx, shared)

    async def _step_now(self, ctx: _BotContext, shared: _SharedReads) -> None:
        self.steps += 1
        try:
            if await self._ensure_leverage(ctx):
                await self._advance(ctx, shared)
        except BindingPaused as exc:
            log.info("bot %s waits: binding %s paused (%s)", ctx.bot.id, ctx.ref.binding_id, exc.verdict.value)
        except (GatewayError, MarketDataError) as exc:
            log.info("bot %s waits: %s", ctx.bot.id, exc)
        except Exception as exc:  # one bot's failure must not stop the others; the store has its state
            ctx.loaded = False  # re-read and re-reconcile everything next tick
            log.warning("bot %s tick failed: %s", ctx.bot.id, type(exc).__name__)

    async def _advance(self, ctx: _BotContext, shared: _SharedReads) -> None:
        """Reconcile the deal's live orders, then decide and act until nothing is left to do."""
        deals = DealRepository(self._store, ctx.bot.owner_id)
        if not ctx.loaded:
            ctx.deal = await asyncio.to_thread(deals.open_deal, ctx.bot.id)
            if ctx.deal is not None and not await self._reconcile(ctx, deals, None, everything=True):
                return
            ctx.loaded = True
        elif ctx.deal is not None and not await self._reconcile(ctx, deals, shared, everything=False):
            return
        facts = await self._market.facts(ctx.exchange, ctx.symbol)
        for _ in range(MAX_ACTIONS_PER_TICK):
            if ctx.deal is None:
                if not await self._can_open(ctx, shared):
                    return
                ctx.deal = await asyncio.to_thread(deals.start, ctx.bot.id, ctx.symbol)
            actions = decide(ctx.params, deal_view(ctx.deal), facts)
            if not actions or not await self._apply(ctx, deals, actions):
                return
            if ctx.deal is None:
                return  # the deal closed: the next one opens on the next tick

    async def _ensure_leverage(self, ctx: _BotContext) -> bool:
        """Set a futures bot's leverage once per context, before it acts (the exchange keeps one
        leverage per account and symbol, and it may have been changed while no one was running).
        False when the bot cannot run (halted: the exchange refuses that leverage)."""
        if ctx.params.market is not Market.FUTURES or ctx.leverage_set:
            return True
        try:
            await self._gateway.set_leverage(ctx.ref, ctx.symbol, ctx.params.leverage)
        except (OrderRejected, GuardRefused) as exc:
            await self._halt(ctx.bot, f"leverage {ctx.params.leverage}: {exc}")
            self._bots.pop(ctx.bot.id, None)
            return False
        ctx.leverage_set = True
        return True

    async def _can_open(self, ctx: _BotContext, shared: _SharedReads) -> bool:
        needed = ctx.params.base_order_quote / ctx.params.leverage
        balance = await shared.balance(ctx.ref)
        return balance.available >= needed

    async def _reconcile(
        self, ctx: _BotContext, deals: DealRepository, shared: _SharedReads | None, *, everything: bool
    ) -> bool:
        """Bring every live order of the deal up to date; False while one's fate is still unknown."""
        assert ctx.deal is not None
        live = [o for o in ctx.deal.orders if step_state(o).is_live]
        if not live:
            return True
        open_ids: set[str] | None = None
        if not everything and shared is not None and any(o.state == StepState.OPEN for o in live):
            open_ids = {r.client_order_id for r in await shared.open_orders(ctx.ref, ctx.symbol)}
        known = True
        for order in live:
            if order.state == StepState.OPEN and open_ids is not None and order.client_order_id in open_ids:
                continue  # still resting, as recorded
            found = await self._gateway.query_order(ctx.ref, ctx.symbol, order.client_order_id)
            if found is not None:
                await self._record(ctx, deals, order.step, found)
            elif order.state == StepState.OPEN:
                await self._save(ctx, deals, order.step, state=StepState.CANCELED, note="gone from the exchange")
            elif self._age_s(order) < self._grace_s(ctx.exchange):
                known = False  # may still be in flight from before a crash: wait
            else:
                # Never seen and no longer able to arrive: send the same intent again.
                known = await self._place(ctx, deals, order.step, intent_of(ctx.bot.id, ctx.deal.id, order))
        return known

    async def _apply(self, ctx: _BotContext, deals: DealRepository, actions: Sequence[object]) -> bool:
        """Carry out ``actions``; True when all had a known outcome (the strategy may decide again)."""
        assert ctx.deal is not None
        for action in actions:
            if isinstance(action, Place):
                intent = OrderIntent(
                    bot_id=ctx.bot.id,
                    deal_id=ctx.deal.id,
                    step=action.step,
                    symbol=ctx.symbol,
                    side=action.side,
                    kind=action.kind,
                    amount=action.amount,
                    price=action.price,
                    reduce_only=action.reduce_only,
                )
                cid = self._gateway.client_order_id(ctx.ref, intent)
                record = await asyncio.to_thread(
                    deals.add_order,
                    ctx.deal.id,
                    step=action.step,
                    client_order_id=cid,
                    side=action.side.value,
                    kind=action.kind.value,
                    amount=action.amount,
                    price=action.price,
                    reduce_only=action.reduce_only,
                )
                self._replace_order(ctx, record)
                if not await self._place(ctx, deals, action.step, intent):
                    return False
            elif isinstance(action, Cancel):
                order = next(o for o in ctx.deal.orders if o.step == action.step)
                try:
                    result = await self._gateway.cancel_order(ctx.ref, ctx.symbol, order.client_order_id)
                except OrderRejected:
                    # Not open any more (filled meanwhile): what it became decides what comes next.
                    found = await self._gateway.query_order(ctx.ref, ctx.symbol, order.client_order_id)
                    if found is None:
                        return False
                    result = found
                await self._record(ctx, deals, action.step, result)
            elif isinstance(action, Close):
                await asyncio.to_thread(deals.close, ctx.deal.id, action.reason)
                ctx.deal = None
                return True
            elif isinstance(action, Halt):
                await self._halt(ctx.bot, action.reason)
                self._bots.pop(ctx.bot.id, None)
                return False
        return True

    async def _place(self, ctx: _BotContext, deals: DealRepository, step: str, intent: OrderIntent) -> bool:
        try:
            result = await self._gateway.place_order(ctx.ref, intent)
        except (OrderRejected, GuardRefused) as exc:
            await self._save(ctx, deals, step, state=StepState.REJECTED, note=str(exc))
            return True
        if result.kind is OrderKind.MARKET and result.state is OrderState.OPEN:
            # Some exchanges answer an order with its ids only (OKX: ordId, clOrdId, sCode): ask
            # what became of it rather than wait a tick to see a market order fill.
            result = await self._gateway.query_order(ctx.ref, ctx.symbol, result.client_order_id) or result
        await self._record(ctx, deals, step, result)
        return True

    async def _record(self, ctx: _BotContext, deals: DealRepository, step: str, result: OrderResult) -> None:
        await self._save(
            ctx,
            deals,
            step,
            state=_STATES[result.state],
            filled=result.filled,
            average_price=result.average_price,
            fee_quote=result.fee_quote,
            exchange_order_id=result.exchange_order_id,
        )

    async def _save(
        self,
        ctx: _BotContext,
        deals: DealRepository,
        step: str,
        *,
        state: StepState,
        filled: Decimal | None = None,
        average_price: Decimal | None = None,
        fee_quote: Decimal | None = None,
        exchange_order_id: str | None = None,
        note: str | None = None,
    ) -> None:
        assert ctx.deal is not None
        record = await asyncio.to_thread(
            deals.update_order,
            ctx.deal.id,
            step,
            state=state.value,
            filled=filled,
            average_price=average_price,
            fee_quote=fee_quote,
            exchange_order_id=exchange_order_id,
            note=note,
        )
        self._replace_order(ctx, record)

    @staticmethod
    def _replace_order(ctx: _BotContext, record: DealOrderRecord) -> None:
        assert ctx.deal is not None
        others = tuple(o for o in ctx.deal.orders if o.step != record.step)
        ctx.deal = _with_orders(ctx.deal, (*others, record))

    def _grace_s(self, exchange: str) -> float:
        if self.config.unknown_grace_s is not None:
            return self.config.unknown_grace_s
        return EXPIRY_MS.get(exchange, 60_000) / 1000

    @staticmethod
    def _age_s(order: DealOrderRecord) -> float:
        return (datetime.now(UTC) - order.created_at).total_seconds()

    async def _halt(self, bot: Bot, reason: str) -> None:
        log.warning("bot %s halted: %s", bot.id, reason)
        repo = BotRepository(self._store, bot.owner_id, actor=f"bot:{bot.id}")
        await asyncio.to_thread(functools.partial(repo.set_state, bot.id, BotState.FAILED.value, reason=reason))


_STATES = {
    OrderState.OPEN: StepState.OPEN,
    OrderState.FILLED: StepState.FILLED,
    OrderState.CANCELED: StepState.CANCELED,
    OrderState.REJECTED: StepState.REJECTED,
}


def _with_orders(deal: DealRecord, orders: tuple[DealOrderRecord, ...]) -> DealRecord:
    return DealRecord(
        id=deal.id,
        bot_id=deal.bot_id,
        seq=deal.seq,
        symbol=deal.symbol,
        status=deal.status,
        close_reason=deal.close_reason,
        opened_at=deal.opened_at,
        closed_at=deal.closed_at,
        orders=tuple(sorted(orders, key=lambda o: (o.created_at, o.step))),
    )
