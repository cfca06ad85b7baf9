"""The DCA strategy, decision by decision, and its invariants over random price paths."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradebind.bots.strategies.dca import (
    Cancel,
    Close,
    DcaParams,
    DcaParamsError,
    DealView,
    Halt,
    MarketFacts,
    OrderView,
    Place,
    StepState,
    deal_figures,
    decide,
)
from tradebind.gateway.api import OrderKind, OrderSide

D = Decimal
FACTS = MarketFacts(price=D(100), amount_step=D("0.001"), price_tick=D("0.01"), min_amount=D("0.001"), min_cost=D(5))


def params(**over: Any) -> DcaParams:
    base: dict[str, Any] = {
        "base_order_quote": "100",
        "safety_order_quote": "200",
        "max_safety_orders": 3,
        "price_deviation_pct": "2",
        "step_scale": "1.5",
        "volume_scale": "2",
        "take_profit_pct": "1",
        "fee_allowance_pct": "0",
    }
    return DcaParams.parse({**base, **over})


def filled(place: Place, price: Decimal | None = None) -> OrderView:
    at = price if price is not None else place.price
    return OrderView(place.step, place.side, place.kind, place.amount, place.price, StepState.FILLED, place.amount, at)


def resting(place: Place) -> OrderView:
    return OrderView(place.step, place.side, place.kind, place.amount, place.price, StepState.OPEN)


def only(actions: list[Any]) -> Any:
    assert len(actions) == 1, actions
    return actions[0]


# parameters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"base_order_quote": "0"}, "base_order_quote"),
        ({"take_profit_pct": "-1"}, "take_profit_pct"),
        ({"direction": "short"}, "direction"),
        ({"leverage": 5}, "leverage"),
        ({"max_safety_orders": 2, "safety_order_quote": "0"}, "safety_order_quote"),
        ({"price_deviation_pct": "40", "step_scale": "2", "max_safety_orders": 3}, "price_deviation_pct"),
        ({"colour": "red"}, "colour"),
        ({"market": "margin"}, "market"),
    ],
)
def test_bad_parameters_name_the_field(bad: dict[str, Any], field: str) -> None:
    with pytest.raises(DcaParamsError) as caught:
        params(**bad)
    assert field in [f for f, _ in caught.value.problems]


def test_missing_required_parameter_is_named() -> None:
    with pytest.raises(DcaParamsError) as caught:
        DcaParams.parse({"take_profit_pct": "1"})
    assert [f for f, _ in caught.value.problems] == ["base_order_quote"]


def test_futures_short_with_leverage_is_accepted() -> None:
    p = params(market="futures", direction="short", leverage=10)
    assert (p.entry_side, p.exit_side, p.leverage) == (OrderSide.SELL, OrderSide.BUY, 10)


# one deal, step by step ------------------------------------------------------------------------


def test_a_new_deal_starts_with_a_market_base_order_for_the_quote_amount() -> None:
    base = only(decide(params(), DealView("d"), FACTS))
    assert base == Place("base", OrderSide.BUY, OrderKind.MARKET, D("1.000"))


def test_base_order_below_the_exchange_minimum_cost_is_raised_to_it() -> None:
    base = only(decide(params(base_order_quote="1"), DealView("d"), FACTS))
    assert base.amount * FACTS.price >= FACTS.min_cost


def test_after_the_base_fill_a_safety_order_and_a_take_profit_rest() -> None:
    p = params()
    deal = DealView("d", (filled(Place("base", OrderSide.BUY, OrderKind.MARKET, D(1)), D(100)),))
    so, tp = decide(p, deal, FACTS)
    assert so == Place("so1", OrderSide.BUY, OrderKind.LIMIT, D("2.040"), D("98.00"))  # 200 USDT at -2 %
    assert tp == Place("tp0", OrderSide.SELL, OrderKind.LIMIT, D(1), D("101.00"), reduce_only=False)


def test_a_safety_fill_replaces_the_take_profit_for_the_whole_position_at_the_new_average() -> None:
    p = params()
    base = filled(Place("base", OrderSide.BUY, OrderKind.MARKET, D(1)), D(100))
    so1 = filled(Place("so1", OrderSide.BUY, OrderKind.LIMIT, D("2.040"), D("98.00")))
    tp0 = resting(Place("tp0", OrderSide.SELL, OrderKind.LIMIT, D(1), D("101.00")))
    deal = DealView("d", (base, so1, tp0))
    # First the stale take profit goes, and the next safety order (deviation 2 + 3 = 5 %, 400 USDT) rests.
    so2, cancel = decide(p, deal, replace(FACTS, price=D(98)))
    assert so2 == Place("so2", OrderSide.BUY, OrderKind.LIMIT, D("4.210"), D("95.00"))
    assert cancel == Cancel("tp0")
    deal = DealView("d", (base, so1, replace(tp0, state=StepState.CANCELED), resting(so2)))
    tp1 = only(decide(p, deal, replace(FACTS, price=D(98))))
    average = (D(100) + D("2.040") * D(98)) / D("3.040")
    assert tp1.step == "tp1"
    assert tp1.amount == D("3.040")
    assert tp1.price == (average * D("1.01")).quantize(D("0.01"), rounding="ROUND_CEILING")


def test_take_profit_fill_cancels_the_resting_safety_order_then_closes_the_deal() -> None:
    p = params()
    base = filled(Place("base", OrderSide.BUY, OrderKind.MARKET, D(1)), D(100))
    so1 = resting(Place("so1", OrderSide.BUY, OrderKind.LIMIT, D("2.040"), D("98.00")))
    tp0 = filled(Place("tp0", OrderSide.SELL, OrderKind.LIMIT, D(1), D("101.00")))
    assert decide(p, DealView("d", (base, so1, tp0)), FACTS) == [Cancel("so1")]
    done = DealView("d", (base, replace(so1, state=StepState.CANCELED), tp0))
    assert decide(p, done, FACTS) == [Close("take_profit")]
    figures = deal_figures(p, done, FACTS.price)
    assert figures.realised_pnl == D(1)
    assert figures.held == 0


def test_stop_loss_cancels_everything_then_sells_the_position_at_market() -> None:
    p = params(stop_loss_pct="10")
    base = filled(Place("base", OrderSide.BUY, OrderKind.MARKET, D(1)), D(100))
    so1 = resting(Place("so1", OrderSide.BUY, OrderKind.LIMIT, D("2.040"), D("98.00")))
    tp0 = resting(Place("tp0", OrderSide.SELL, OrderKind.LIMIT, D(1), D("101.00")))
    crash = replace(FACTS, price=D(89))
    assert decide(p, DealView("d", (base, so1, tp0)), crash) == [Cancel("so1"), Cancel("tp0")]
    cancelled = (base, replace(so1, state=StepState.CANCELED), replace(tp0, state=StepState.CANCELED))
    sl = only(decide(p, DealView("d", cancelled), crash))
    assert sl == Place("sl", OrderSide.SELL, OrderKind.MARKET, D(1))
    assert decide(p, DealView("d", (*cancelled, filled(sl, D(89)))), crash) == [Close("stop_loss")]


def test_nothing_is_decided_while_an_order_outcome_is_unknown() -> None:
    base = Place("base", OrderSide.BUY, OrderKind.MARKET, D(1))
    pending = OrderView("base", base.side, base.kind, base.amount, None, StepState.PENDING)
    assert decide(params(), DealView("d", (pending,)), FACTS) == []


def test_a_refused_base_order_halts_the_bot() -> None:
    refused = OrderView("base", OrderSide.BUY, OrderKind.MARKET, D(1), None, StepState.REJECTED)
    assert isinstance(only(decide(params(), DealView("d", (refused,)), FACTS)), Halt)


def test_spot_exits_keep_the_base_fee_allowance_back() -> None:
    p = params(fee_allowance_pct="0.1", max_safety_orders=0)
    base = filled(Place("base", OrderSide.BUY, OrderKind.MARKET, D(1)), D(100))
    tp = only(decide(p, DealView("d", (base,)), FACTS))
    assert tp.amount == D("0.999")


def test_futures_short_takes_profit_below_the_entry_with_reduce_only_orders() -> None:
    p = params(market="futures", direction="short", leverage=5, max_safety_orders=1)
    base = filled(Place("base", OrderSide.SELL, OrderKind.MARKET, D(1)), D(100))
    so, tp = decide(p, DealView("d", (base,)), FACTS)
    assert so == Place("so1", OrderSide.SELL, OrderKind.LIMIT, D("1.960"), D("102.00"))
    assert tp == Place("tp0", OrderSide.BUY, OrderKind.LIMIT, D(1), D("99.00"), reduce_only=True)


# invariants over random markets --------------------------------------------------------------


def simulate(p: DcaParams, path: list[Decimal], facts: MarketFacts) -> tuple[list[Place], list[Any], DealView]:
    """Drive one deal through ``path`` with a minimal matching model: market orders fill at the
    price, resting limits fill when the price crosses them, cancels succeed."""
    orders: dict[str, OrderView] = {}
    placed: list[Place] = []
    closes: list[Any] = []
    for price in path:
        now = replace(facts, price=price)
        for step, o in list(orders.items()):
            crossed = o.price is not None and (price <= o.price if o.side is OrderSide.BUY else price >= o.price)
            if o.state is StepState.OPEN and crossed:
                orders[step] = replace(o, state=StepState.FILLED, filled=o.amount, average_price=o.price)
        for _ in range(8):
            actions = decide(p, DealView("d", tuple(orders.values())), now)
            if not actions or closes:
                break
            for a in actions:
                if isinstance(a, Place):
                    placed.append(a)
                    state, at = (StepState.FILLED, price) if a.kind is OrderKind.MARKET else (StepState.OPEN, None)
                    fill = a.amount if state is StepState.FILLED else D(0)
                    orders[a.step] = OrderView(a.step, a.side, a.kind, a.amount, a.price, state, fill, at)
                elif isinstance(a, Cancel):
                    orders[a.step] = replace(orders[a.step], state=StepState.CANCELED)
                else:
                    closes.append(a)
        if closes:
            break
    return placed, closes, DealView("d", tuple(orders.values()))


prices = st.decimals(min_value=D(50), max_value=D(150), places=2)


@settings(max_examples=150, deadline=None)
@given(
    path=st.lists(prices, min_size=1, max_size=40),
    max_so=st.integers(0, 5),
    tp=st.decimals(min_value=D("0.2"), max_value=D(5), places=1),
    sl=st.one_of(st.none(), st.decimals(min_value=D(1), max_value=D(30), places=1)),
    short=st.booleans(),
)
def test_every_deal_keeps_the_invariants(
    path: list[Decimal], max_so: int, tp: Decimal, sl: Decimal | None, short: bool
) -> None:
    p = params(
        max_safety_orders=max_so,
        take_profit_pct=str(tp),
        stop_loss_pct=None if sl is None else str(sl),
        price_deviation_pct="3",
        step_scale="1",
        market="futures" if short else "spot",
        direction="short" if short else "long",
    )
    placed, closes, deal = simulate(p, [D(100), *path], FACTS)
    steps = [a.step for a in placed]
    assert len(steps) == len(set(steps)), "a step was placed twice"
    figures = deal_figures(p, deal, path[-1])
    assert figures.sold <= figures.bought, "sold more than was bought"
    live = [o for o in deal.orders if o.state is StepState.OPEN]
    assert sum(o.step.startswith("so") for o in live) <= 1
    assert sum(o.step.startswith("tp") for o in live) <= 1
    assert len([s for s in steps if s.startswith("so")]) <= max_so
    for o in live:
        if o.step.startswith("tp"):
            assert figures.average_entry is not None
            assert o.price is not None
            assert p.sign * (o.price - figures.average_entry) > 0, "take profit on the losing side"
    if closes:
        assert figures.held < FACTS.min_amount + FACTS.amount_step or figures.held * path[-1] < FACTS.min_cost
        assert not live


@settings(max_examples=60, deadline=None)
@given(
    drop=st.lists(st.decimals(min_value=D(60), max_value=D(99), places=2), max_size=10),
    tp=st.decimals(min_value=D("0.5"), max_value=D(3), places=1),
)
def test_a_long_deal_closes_in_profit_once_the_price_rises_far_enough(drop: list[Decimal], tp: Decimal) -> None:
    p = params(max_safety_orders=4, take_profit_pct=str(tp), price_deviation_pct="5", step_scale="1")
    _placed, closes, deal = simulate(p, [D(100), *drop, D(1000), D(1000)], FACTS)
    assert closes == [Close("take_profit")]
    assert deal_figures(p, deal, D(1000)).realised_pnl > 0
