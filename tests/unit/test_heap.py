"""The heap settler: what it freezes stays out of collections until the next settle, which frees
the garbage among it."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from collections.abc import Iterator

import pytest

from tradebind.heap import YOUNG_THRESHOLD, HeapSettler


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def interpreter_defaults() -> Iterator[None]:
    """The test process keeps the collector's defaults before and after each test."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    gc.collect()


def _in_a_generation(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_settling_freezes_what_is_alive_and_the_next_settle_frees_what_died_since() -> None:
    survivor = Node()
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the cyclic collector can free it
    gone = weakref.ref(a)
    assert _in_a_generation(survivor)

    settled = HeapSettler().settle()

    assert not _in_a_generation(survivor), "a live object is left to the collector after settling"
    assert settled.frozen > 0
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    del a, b
    gc.collect()
    assert gone() is not None, "a frozen cycle was walked by an ordinary collection"

    HeapSettler().settle()

    assert gone() is None, "the garbage among frozen objects outlived the next settle"
    assert not _in_a_generation(survivor)


async def test_the_settler_settles_after_its_first_delay_and_stops_when_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="tradebind.heap")
    running = asyncio.create_task(HeapSettler(first_s=0, every_s=3600).run())
    for _ in range(100):
        if caplog.records:
            break
        await asyncio.sleep(0)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["heap settled"]
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize(("every_s", "first_s"), [(0, 1), (-1, 1), (10, -1)])
def test_a_settler_without_a_period_is_refused(every_s: float, first_s: float) -> None:
    with pytest.raises(ValueError, match="every_s"):
        HeapSettler(every_s=every_s, first_s=first_s)
