"""Fixed windows: aligned to the epoch by default, or to an origin (a fault's own window)."""

from __future__ import annotations

from tradebind.sandbox.core import WindowCounter


def test_epoch_windows_turn_on_the_minute() -> None:
    counter = WindowCounter(60_000)
    assert counter.add("k", 1, 59_995) == 1
    assert counter.add("k", 1, 60_005) == 1  # a new minute began between the two
    assert counter.reset_ms(60_005) == 59_995


def test_windows_from_an_origin_hold_whatever_the_clock_minute() -> None:
    counter = WindowCounter(60_000, origin_ms=59_990)
    assert counter.add("k", 1, 59_995) == 1
    assert counter.add("k", 1, 60_005) == 2  # the same window: it began at 59_990
    assert counter.reset_ms(60_005) == 59_985
    assert counter.add("k", 1, 119_990) == 1  # the next one begins a full window later
