"""Fixed-window usage counters, the way exchanges count request weight and order rates."""

from __future__ import annotations


class WindowCounter:
    """Usage per key in fixed windows of ``window_ms``, aligned to ``origin_ms`` (by default the
    epoch: a minute starts at :00).

    Keys are whatever the protocol counts by: an IP, an account, a (uid, endpoint) pair.
    """

    def __init__(self, window_ms: int, origin_ms: int = 0) -> None:
        self.window_ms = window_ms
        self.origin_ms = origin_ms
        self._usage: dict[object, tuple[int, int]] = {}

    def window_start(self, now_ms: int) -> int:
        return now_ms - (now_ms - self.origin_ms) % self.window_ms

    def used(self, key: object, now_ms: int) -> int:
        start, used = self._usage.get(key, (0, 0))
        return used if start == self.window_start(now_ms) else 0

    def add(self, key: object, cost: int, now_ms: int) -> int:
        """Count ``cost`` against ``key`` and return the usage in the current window."""
        start = self.window_start(now_ms)
        prev_start, used = self._usage.get(key, (start, 0))
        used = (used if prev_start == start else 0) + cost
        self._usage[key] = (start, used)
        return used

    def reset_ms(self, now_ms: int) -> int:
        """Milliseconds until the current window ends."""
        return self.window_start(now_ms) + self.window_ms - now_ms
