"""The shared rate budget on a made-up clock: windows, waiting, boundary slack, observations."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tradebind.gateway.budgets import Charge, InProcessBudget, Observation


class FakeTime:
    """Epoch milliseconds that move only when a waiter sleeps."""

    def __init__(self, start_ms: float) -> None:
        self.now = start_ms

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds * 1000
        await asyncio.sleep(0)


def budget(t: FakeTime, slack_ms: int = 0) -> InProcessBudget:
    return InProcessBudget(slack_ms=slack_ms, clock=t.clock, sleep=t.sleep)


ORDER = Charge("acct:a:orders-10s", 1, 5, 10_000)


async def test_demand_above_the_limit_waits_for_the_next_window() -> None:
    t = FakeTime(1_000_000)  # a window boundary
    b = budget(t)
    admitted: list[float] = []
    for _ in range(12):
        await b.acquire([ORDER])
        admitted.append(t.now)
    per_window = Counter(int(ms // 10_000) for ms in admitted)
    assert sorted(per_window.values()) == [2, 5, 5]
    assert admitted[5] >= 1_010_000  # the sixth waited for the next window
    assert b.waited_ms() >= 10_000


async def test_every_counter_of_a_request_must_have_room() -> None:
    t = FakeTime(2_000_000)
    b = budget(t)
    weight = Charge("ip:1:weight-1m", 4, 10, 60_000)
    await b.acquire([ORDER, weight])
    await b.acquire([ORDER, weight])
    await b.acquire([ORDER])  # orders still have room; weight (8 of 10) does not matter here
    await b.acquire([ORDER, weight])  # 12 of 10 weight: waits for the minute to roll over
    assert t.now >= 2_040_000


async def test_a_request_near_the_end_of_a_window_counts_in_the_next_one_too() -> None:
    t = FakeTime(3_009_900)  # 100 ms before the window ends
    b = budget(t, slack_ms=250)
    for _ in range(5):
        await b.acquire([ORDER])
    t.now = 3_010_000  # next window: the five may arrive now, so they count here as well
    await b.acquire([ORDER])
    assert t.now >= 3_020_000


async def test_the_exchanges_count_raises_ours_and_a_stated_limit_lowers_it() -> None:
    t = FakeTime(4_000_000)
    b = budget(t)
    b.observe([Observation(ORDER.key, 5, ORDER.window_ms)])  # another process used them all
    await b.acquire([ORDER])
    assert t.now >= 4_010_000
    b.observe([Observation(ORDER.key, 0, ORDER.window_ms, limit=1)])  # Bybit: X-Bapi-Limit
    assert t.now < 4_020_000
    await b.acquire([ORDER])  # the second in this window: over the stated limit of 1
    assert t.now >= 4_020_000


async def test_a_cost_that_can_never_fit_is_refused() -> None:
    b = budget(FakeTime(0))
    with pytest.raises(ValueError, match="can never fit"):
        await b.acquire([Charge("k", 11, 10, 1000)])


async def test_try_acquire_counts_a_request_that_fits_and_nothing_of_one_that_does_not() -> None:
    t = FakeTime(4_000_000)  # a window boundary
    b = budget(t)
    weight = Charge("ip:1:weight-1m", 4, 10, 60_000)
    assert b.try_acquire([ORDER, weight])
    assert b.try_acquire([ORDER, weight])
    # 12 of 10 weight: refused whole, so the order counter's room is not taken either.
    assert not b.try_acquire([ORDER, weight])
    for _ in range(3):  # orders 3, 4, 5 of 5: the refused request left its order unspent
        assert b.try_acquire([ORDER])
    assert not b.try_acquire([ORDER])
    assert t.now == 4_000_000  # nothing waited
    assert b.waited_ms() == 0
    t.now += 10_000  # the order window rolls over; the weight minute has not
    assert b.try_acquire([ORDER])
    assert not b.try_acquire([ORDER, weight])
