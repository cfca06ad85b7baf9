"""When the request journal's records are copied into the activity log: after a burst ends, or
within the longest lag under steady traffic; never while nothing waits."""

from __future__ import annotations

import pytest

from tradebind.gateway.records import CopyTiming


def test_a_burst_is_copied_at_the_first_tick_after_it_ends() -> None:
    timing = CopyTiming(within_s=0.5)
    assert timing.due(0, 0.00) is False  # nothing waits
    assert timing.due(30, 0.02) is False  # a burst under way
    assert timing.due(80, 0.04) is False  # still coming
    assert timing.due(100, 0.06) is False  # the last of it
    assert timing.due(100, 0.08) is True  # none came since the last tick: copy now
    assert timing.due(0, 0.10) is False  # copied; quiet


def test_steady_traffic_is_copied_within_the_longest_lag() -> None:
    timing = CopyTiming(within_s=0.5)
    ticks = [(n * 3, n * 0.02) for n in range(1, 40)]  # three more records every tick, never a pause
    due_at = [now for waiting, now in ticks if timing.due(waiting, now)]
    assert due_at[0] == pytest.approx(0.52)  # the first records waited 0.5 s, no longer
    # After a copy the count starts again from what is waiting then.
    timing = CopyTiming(within_s=0.5)
    assert timing.due(5, 1.0) is False
    assert timing.due(5, 1.02) is True
    assert timing.due(2, 1.04) is False
    assert timing.due(2, 1.06) is True
