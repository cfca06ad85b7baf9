"""Rate budgets shared by every bot on one exchange account and all traffic from one egress IP.

A request's cost is a list of :class:`Charge` (one per exchange counter it moves: the IP's
weight, the account's order count, the UID's per-endpoint limit). :meth:`RateBudget.acquire`
returns once every counter has room, and counts the request; demand above the budget waits for
the window to roll over instead of earning a 429. After the response, :meth:`RateBudget.observe`
corrects a counter to what the exchange says it has counted (usage headers), which also covers
traffic this process did not send (another process on the same IP, the check).

Windows are fixed and aligned to the epoch, as the exchanges (and the sandbox) count them: a
minute counter restarts at :00. A request sent in the last ``slack_ms`` of a window may arrive in
the next one, so it is counted in both: the exchange never sees more than the limit in any window.

Why not pyrate-limiter here: its buckets cannot be corrected to an externally reported count
and do not align to the exchange's windows; those two rules are the whole point of this budget.

The in-process implementation keeps state per instance (no module globals); a PostgreSQL or
Redis implementation of :class:`RateBudget` can replace it for several gateway processes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Charge", "InProcessBudget", "Observation", "RateBudget"]


@dataclass(frozen=True, slots=True)
class Charge:
    """``cost`` units against counter ``key``, which allows ``limit`` per ``window_ms``."""

    key: str
    cost: int
    limit: int
    window_ms: int


@dataclass(frozen=True, slots=True)
class Observation:
    """What the exchange reported for counter ``key``: ``used`` in the current window, and
    its ``limit`` when the exchange says it (Bybit's ``X-Bapi-Limit``)."""

    key: str
    used: int
    window_ms: int
    limit: int | None = None


class RateBudget(Protocol):
    def try_acquire(self, charges: Sequence[Charge]) -> bool:
        """Count every charge and return True if all of them fit their windows now; else count
        none and return False (then :meth:`acquire` waits). The gateway asks this first: most
        requests find room, and this costs them no coroutine."""
        ...

    async def acquire(self, charges: Sequence[Charge]) -> None:
        """Wait until every charge fits its counter's current window, then count them all."""
        ...

    def observe(self, observations: Sequence[Observation]) -> None:
        """Raise counters to what the exchange reports (never lower: requests may be in flight)."""
        ...

    def waited_ms(self) -> int:
        """Total time requests have spent waiting for budget (for tests and metrics)."""
        ...


@dataclass(slots=True)
class _Counter:
    window_ms: int
    start: int = 0
    used: int = 0
    carried: int = 0  # counted ahead into the window after ``start`` (boundary slack)
    learned_limit: int | None = None

    def roll(self, now_ms: int) -> None:
        start = now_ms - now_ms % self.window_ms
        if start == self.start:
            return
        self.used = self.carried if start == self.start + self.window_ms else 0
        self.carried = 0
        self.start = start


class InProcessBudget:
    """:class:`RateBudget` for one process. ``clock`` returns epoch milliseconds and ``sleep``
    waits seconds (both replaceable, so the window arithmetic can be tested on a made-up clock)."""

    def __init__(
        self,
        *,
        slack_ms: int = 250,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._counters: dict[str, _Counter] = {}
        self._slack_ms = slack_ms
        self._clock = clock or (lambda: time.time() * 1000)
        self._sleep = sleep or asyncio.sleep
        self._waited_ms = 0.0

    def _counter(self, key: str, window_ms: int) -> _Counter:
        counter = self._counters.get(key)
        if counter is None or counter.window_ms != window_ms:
            counter = self._counters[key] = _Counter(window_ms)
        return counter

    def _wait_ms(self, charges: Sequence[Charge], now_ms: float) -> float:
        """0 if every charge fits now, else how long until the first blocking window ends."""
        wait = 0.0
        now = int(now_ms)
        for charge in charges:  # on every request: _counter and the limit written out
            counter = self._counters.get(charge.key)
            if counter is None or counter.window_ms != charge.window_ms:
                counter = self._counter(charge.key, charge.window_ms)
            counter.roll(now)
            learned = counter.learned_limit
            limit = charge.limit if learned is None or learned > charge.limit else learned
            if charge.cost > limit:
                raise ValueError(f"{charge.key}: a cost of {charge.cost} can never fit a limit of {limit}")
            if counter.used + charge.cost > limit:
                wait = max(wait, counter.start + counter.window_ms - now_ms)
        return wait

    def try_acquire(self, charges: Sequence[Charge]) -> bool:
        now = self._clock()
        if self._wait_ms(charges, now) > 0:
            return False
        self._count(charges, now)
        return True

    async def acquire(self, charges: Sequence[Charge]) -> None:
        now = self._clock()
        wait = self._wait_ms(charges, now)
        if wait > 0:
            started = now
            while wait > 0:
                # A few ms past the boundary so the exchange, whose clock may lag ours slightly,
                # has rolled over too.
                await self._sleep((wait + 5) / 1000)
                now = self._clock()
                wait = self._wait_ms(charges, now)
            self._waited_ms += now - started
        self._count(charges, now)

    def _count(self, charges: Sequence[Charge], now_ms: float) -> None:
        """Count ``charges`` (each fits, as :meth:`_wait_ms` just said at ``now_ms``)."""
        for charge in charges:
            counter = self._counters[charge.key]
            counter.used += charge.cost
            if counter.start + counter.window_ms - now_ms <= self._slack_ms:
                counter.carried += charge.cost

    def observe(self, observations: Sequence[Observation]) -> None:
        now = int(self._clock())
        for seen in observations:
            counter = self._counter(seen.key, seen.window_ms)
            counter.roll(now)
            counter.used = max(counter.used, seen.used)
            if seen.limit is not None:
                counter.learned_limit = seen.limit

    def waited_ms(self) -> int:
        return round(self._waited_ms)
