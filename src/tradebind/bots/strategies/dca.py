"""DCA (dollar-cost averaging) as a pure function: deal state + market facts in, actions out.

A deal opens with a market **base order**. Safety orders are limit orders at growing price
deviations from the base fill (``price_deviation_pct`` for the first, each next step ``step_scale``
times the previous one) with growing size (``volume_scale``); one is resting at a time. A limit
**take profit** rests at ``take_profit_pct`` beyond the average entry for the whole position and is
replaced (cancel, then a new one) whenever a safety fill changes the position. An optional
**stop loss** closes the position at market when the price crosses ``stop_loss_pct`` against the
average entry. Spot trades long only; futures (USDⓈ-M / linear) long or short with a leverage.

Nothing here does I/O. Every order has a stable *step* name (``base``, ``so1``…, ``tp0``…,
``sl``, ``close0``…) from which the gateway derives the exchange client order id, so deciding
twice from the same state yields the same orders, never new ones. Step names of replaced exits
count up (``tp0``, ``tp1``, …) because an exchange id names one order for good.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ...domain.market import Market
from ...gateway.api import OrderKind, OrderSide

__all__ = [
    "Cancel",
    "Close",
    "DcaParams",
    "DcaParamsError",
    "DealFigures",
    "DealView",
    "Direction",
    "Halt",
    "MarketFacts",
    "OrderView",
    "Place",
    "StepState",
    "deal_figures",
    "decide",
    "safety_order_plan",
]

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class Direction(enum.StrEnum):
    LONG = "long"
    SHORT = "short"


class StepState(enum.StrEnum):
    """What tradebind knows about one order of a deal.

    ``PENDING`` means the intent is recorded but the exchange's answer is not: the order may or may
    not exist, and nothing is decided for the deal until a query by client order id says which.
    """

    PENDING = "pending"
    OPEN = "open"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"

    @property
    def is_live(self) -> bool:
        """May still trade (or may exist): pending or open."""
        return self in (StepState.PENDING, StepState.OPEN)


class DcaParamsError(ValueError):
    """Parameters a DCA bot cannot run with; ``problems`` is ``[(field, message)]``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))


class DcaParams(BaseModel):
    """A DCA bot's settings (the bot's ``params`` JSON). Percentages are percent (``1.5`` = 1.5 %)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    market: Market = Market.SPOT
    direction: Direction = Direction.LONG
    base_order_quote: Decimal = Field(gt=0, le=Decimal("1e9"))
    safety_order_quote: Decimal = Field(default=ZERO, ge=0, le=Decimal("1e9"))
    max_safety_orders: int = Field(default=0, ge=0, le=50)
    price_deviation_pct: Decimal = Field(default=Decimal(1), gt=0, lt=100)
    step_scale: Decimal = Field(default=Decimal(1), ge=Decimal("0.1"), le=10)
    volume_scale: Decimal = Field(default=Decimal(1), ge=Decimal("0.1"), le=10)
    take_profit_pct: Decimal = Field(gt=0, le=1000)
    stop_loss_pct: Decimal | None = Field(default=None, gt=0, lt=100)
    leverage: int = Field(default=1, ge=1, le=125)
    # Spot buys pay their fee in the base asset (Binance, OKX, Bybit spot), so less than the
    # filled amount arrives; exits sell the filled amount less this allowance.
    fee_allowance_pct: Decimal = Field(default=Decimal("0.1"), ge=0, lt=5)

    @model_validator(mode="after")
    def _consistent(self) -> DcaParams:
        if self.market is Market.SPOT and self.direction is Direction.SHORT:
            raise ValueError("direction: spot bots can only go long")
        if self.market is Market.SPOT and self.leverage != 1:
            raise ValueError("leverage: spot bots trade without leverage (1)")
        if self.max_safety_orders and self.safety_order_quote == 0:
            raise ValueError("safety_order_quote: must be above 0 when max_safety_orders is set")
        if self.max_safety_orders and self.direction is Direction.LONG:
            deepest = safety_order_plan(self, Decimal(1))[-1][0]
            if deepest <= 0:
                raise ValueError("price_deviation_pct: the deepest safety order would be at or below price 0")
        return self

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> DcaParams:
        """Validated parameters; :class:`DcaParamsError` naming each bad field otherwise."""
        try:
            return cls.model_validate(dict(params))
        except ValidationError as exc:
            problems: list[tuple[str, str]] = []
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "params"
                message = str(err["msg"]).removeprefix("Value error, ")
                if not err["loc"] and ": " in message:
                    field, message = message.split(": ", 1)
                problems.append((field, message))
            raise DcaParamsError(problems) from None

    @property
    def entry_side(self) -> OrderSide:
        return OrderSide.BUY if self.direction is Direction.LONG else OrderSide.SELL

    @property
    def exit_side(self) -> OrderSide:
        return OrderSide.SELL if self.direction is Direction.LONG else OrderSide.BUY

    @property
    def sign(self) -> int:
        """+1 long, -1 short: a favourable price move is ``sign * (price - entry) > 0``."""
        return 1 if self.direction is Direction.LONG else -1


def safety_order_plan(params: DcaParams, base_price: Decimal) -> list[tuple[Decimal, Decimal]]:
    """``[(price, quote_amount)]`` of safety orders 1..max, unrounded, from the base fill price."""
    plan: list[tuple[Decimal, Decimal]] = []
    deviation, step, quote = ZERO, params.price_deviation_pct, params.safety_order_quote
    for _ in range(params.max_safety_orders):
        deviation += step
        plan.append((base_price * (1 - params.sign * deviation / HUNDRED), quote))
        step *= params.step_scale
        quote *= params.volume_scale
    return plan


@dataclass(frozen=True, slots=True)
class MarketFacts:
    """What the strategy needs of the market now. Amounts are in base units, as the gateway takes
    them (an OKX swap's 0.01-BTC contracts are already converted: step 0.01 contract = 0.0001 BTC)."""

    price: Decimal
    amount_step: Decimal
    price_tick: Decimal
    min_amount: Decimal
    min_cost: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class OrderView:
    """One stored order of a deal."""

    step: str
    side: OrderSide
    kind: OrderKind
    amount: Decimal
    price: Decimal | None
    state: StepState
    filled: Decimal = ZERO
    average_price: Decimal | None = None
    fee_quote: Decimal = ZERO

    @property
    def role(self) -> str:
        """``entry`` (base, safety orders) or ``exit`` (take profit, stop loss, close)."""
        return "entry" if self.step == "base" or self.step.startswith("so") else "exit"


@dataclass(frozen=True, slots=True)
class DealView:
    deal_id: str
    orders: tuple[OrderView, ...] = ()

    def order(self, step: str) -> OrderView | None:
        return next((o for o in self.orders if o.step == step), None)

    def with_steps(self, prefix: str) -> list[OrderView]:
        return [o for o in self.orders if _step_family(o.step) == prefix]


@dataclass(frozen=True, slots=True)
class Place:
    step: str
    side: OrderSide
    kind: OrderKind
    amount: Decimal
    price: Decimal | None = None
    reduce_only: bool = False


@dataclass(frozen=True, slots=True)
class Cancel:
    step: str


@dataclass(frozen=True, slots=True)
class Close:
    """The deal is over (``take_profit``, ``stop_loss``); the next decision starts a new one."""

    reason: str


@dataclass(frozen=True, slots=True)
class Halt:
    """The bot cannot go on without the user (an entry or exit the exchange refuses)."""

    reason: str


Action = Place | Cancel | Close | Halt


@dataclass(frozen=True, slots=True)
class DealFigures:
    """What a user sees of a deal: position, average entry, profit so far."""

    bought: Decimal  # entry amount filled (base units)
    sold: Decimal  # exit amount filled
    held: Decimal  # still to exit, after the spot fee allowance
    average_entry: Decimal | None
    realised_pnl: Decimal  # quote, after fees reported in quote
    unrealised_pnl: Decimal  # quote, at the given price


def deal_figures(params: DcaParams, deal: DealView, price: Decimal) -> DealFigures:
    """Position and profit of ``deal`` at ``price`` (pure arithmetic on the filled amounts)."""
    entries = [o for o in deal.orders if o.role == "entry" and o.filled > 0]
    exits = [o for o in deal.orders if o.role == "exit" and o.filled > 0]
    bought = sum((o.filled for o in entries), ZERO)
    sold = sum((o.filled for o in exits), ZERO)
    if bought == 0:
        return DealFigures(ZERO, sold, ZERO, None, ZERO, ZERO)
    cost = sum((o.filled * (o.average_price or ZERO) for o in entries), ZERO)
    average = cost / bought
    allowance = params.fee_allowance_pct / HUNDRED if params.market is Market.SPOT else ZERO
    held = max(bought * (1 - allowance) - sold, ZERO)
    proceeds = sum((o.filled * (o.average_price or ZERO) for o in exits), ZERO)
    fees = sum((o.fee_quote for o in deal.orders), ZERO)
    realised = params.sign * (proceeds - average * sold) - fees
    unrealised = params.sign * (price - average) * held
    return DealFigures(bought, sold, held, average, realised, unrealised)


def decide(params: DcaParams, deal: DealView, facts: MarketFacts) -> list[Action]:
    """The next actions for an open ``deal``; ``[]`` means wait.

    Contract: nothing is decided while any order is ``PENDING`` (its existence is unknown until
    the runner queries it); ``Place`` never repeats a step already in the deal; at most one
    safety order and one take profit rest at a time; cancels precede the orders that replace them
    (the runner applies them, records the outcome and decides again).
    """
    if any(o.state is StepState.PENDING for o in deal.orders):
        return []
    base = deal.order("base")
    if base is None:
        return [_base_order(params, facts)]
    if base.state is StepState.REJECTED:
        return [Halt("the exchange refused the base order")]
    if base.state is not StepState.FILLED:
        return []  # a market order still open: wait for the exchange to fill it
    figures = deal_figures(params, deal, facts.price)
    assert figures.average_entry is not None
    open_orders = [o for o in deal.orders if o.state is StepState.OPEN]
    exited = figures.sold > 0 and _too_small(figures.held, facts)
    stopping = deal.order("sl") is not None or _stop_hit(params, figures.average_entry, facts.price)

    if exited or stopping:
        if any(o.kind is OrderKind.MARKET for o in open_orders):
            return []  # a market order the exchange has not filled yet: wait for it
        if open_orders:
            return [Cancel(o.step) for o in open_orders]
        if exited or _too_small(figures.held, facts):
            return [Close("stop_loss" if deal.order("sl") is not None else "take_profit")]
        if deal.order("sl") is None:
            return [_exit_order(params, "sl", OrderKind.MARKET, figures.held, None, facts)]
        # The stop-loss order did not take the whole position (refused or partly filled).
        closes = deal.with_steps("close")
        if closes and closes[-1].state is StepState.REJECTED:
            return [Halt("the exchange refused to close the position")]
        step = f"close{len(closes)}"
        return [_exit_order(params, step, OrderKind.MARKET, figures.held, None, facts)]

    actions: list[Action] = []
    actions.extend(_safety_order(params, deal, base, facts))
    actions.extend(_take_profit(params, deal, figures, facts))
    return actions


def _base_order(params: DcaParams, facts: MarketFacts) -> Place:
    amount = _amount_for_quote(params.base_order_quote, facts.price, facts)
    return Place("base", params.entry_side, OrderKind.MARKET, amount)


def _safety_order(params: DcaParams, deal: DealView, base: OrderView, facts: MarketFacts) -> list[Action]:
    placed = deal.with_steps("so")
    if placed and placed[-1].state is not StepState.FILLED:
        return []  # one resting at a time; a refused or cancelled one ends the ladder
    if len(placed) >= params.max_safety_orders:
        return []
    assert base.average_price is not None
    price, quote = safety_order_plan(params, base.average_price)[len(placed)]
    price = _round_price(price, facts, up=params.direction is Direction.SHORT)
    amount = _amount_for_quote(quote, price, facts)
    return [Place(f"so{len(placed) + 1}", params.entry_side, OrderKind.LIMIT, amount, price)]


def _take_profit(params: DcaParams, deal: DealView, figures: DealFigures, facts: MarketFacts) -> list[Action]:
    assert figures.average_entry is not None
    amount = _floor(figures.held, facts.amount_step)
    target = figures.average_entry * (1 + params.sign * params.take_profit_pct / HUNDRED)
    price = _round_price(target, facts, up=params.direction is Direction.LONG)
    takes = deal.with_steps("tp")
    current = takes[-1] if takes else None
    if current is not None and current.state is StepState.REJECTED:
        return [Halt("the exchange refused the take-profit order")]
    if current is not None and current.state is StepState.OPEN:
        if current.amount == amount and current.price == price:
            return []
        return [Cancel(current.step)]
    if _too_small(amount, facts):
        return []
    return [_exit_order(params, f"tp{len(takes)}", OrderKind.LIMIT, amount, price, facts)]


def _exit_order(
    params: DcaParams, step: str, kind: OrderKind, amount: Decimal, price: Decimal | None, facts: MarketFacts
) -> Place:
    return Place(
        step,
        params.exit_side,
        kind,
        _floor(amount, facts.amount_step),
        price,
        reduce_only=params.market is Market.FUTURES,
    )


def _stop_hit(params: DcaParams, average: Decimal, price: Decimal) -> bool:
    if params.stop_loss_pct is None:
        return False
    return params.sign * (price - average) / average * HUNDRED <= -params.stop_loss_pct


def _too_small(amount: Decimal, facts: MarketFacts) -> bool:
    """Below what the exchange would accept as an order: the position is as good as closed."""
    rounded = _floor(amount, facts.amount_step)
    return rounded < facts.min_amount or rounded <= 0 or rounded * facts.price < facts.min_cost


def _amount_for_quote(quote: Decimal, price: Decimal, facts: MarketFacts) -> Decimal:
    """The amount ``quote`` buys at ``price``, down to the step but never below the minimums."""
    amount = _floor(quote / price, facts.amount_step)
    if facts.min_cost > 0 and amount * price < facts.min_cost:
        amount = _ceil(facts.min_cost / price, facts.amount_step)
    return max(amount, facts.min_amount)


def _floor(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def _ceil(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def _round_price(price: Decimal, facts: MarketFacts, *, up: bool) -> Decimal:
    rounded = _ceil(price, facts.price_tick) if up else _floor(price, facts.price_tick)
    return max(rounded, facts.price_tick)


def _step_family(step: str) -> str:
    return step.rstrip("0123456789")
