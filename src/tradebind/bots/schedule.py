"""The runner's schedule: which worker runs which bot, by expiring leases.

A scale-out seam (architecture.md, "Scale-out seams"): several worker processes would share a
PostgreSQL- or broker-backed implementation of :class:`BotSchedule`; one process uses
:class:`InProcessSchedule`. A bot runs only under a live lease, so two workers never act for the
same bot at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

__all__ = ["BotSchedule", "InProcessSchedule"]


class BotSchedule(Protocol):
    async def claim(self, worker_id: str, bot_ids: Sequence[str], ttl_s: float) -> set[str]:
        """Take or renew leases on ``bot_ids`` for ``ttl_s`` seconds; return the ones this worker holds.

        A bot leased to another worker whose lease has not expired is not returned.
        """
        ...

    async def release(self, worker_id: str, bot_ids: Iterable[str]) -> None:
        """Give up this worker's leases on ``bot_ids`` (others' leases are untouched)."""
        ...


class InProcessSchedule:
    """Leases in this process's memory: right for one worker process (the default)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._leases: dict[str, tuple[str, float]] = {}
        self._clock = clock

    async def claim(self, worker_id: str, bot_ids: Sequence[str], ttl_s: float) -> set[str]:
        now = self._clock()
        held: set[str] = set()
        for bot_id in bot_ids:
            owner, expires = self._leases.get(bot_id, (worker_id, now))
            if owner == worker_id or expires <= now:
                self._leases[bot_id] = (worker_id, now + ttl_s)
                held.add(bot_id)
        return held

    async def release(self, worker_id: str, bot_ids: Iterable[str]) -> None:
        for bot_id in bot_ids:
            if self._leases.get(bot_id, ("", 0.0))[0] == worker_id:
                del self._leases[bot_id]
