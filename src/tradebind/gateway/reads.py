"""Shared reads: one exchange fetch per refresh for every bot asking the same thing.

Single-flight: while a fetch for a key is running, other callers await the same fetch. Its
result is then served for ``ttl_s``. Keys include the credential version, so the first read
after a key replacement always goes to the exchange with the new key. Failures are not cached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

__all__ = ["SharedReads"]


class SharedReads:
    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[Any]]) -> Any:
        cached = self._values.get(key)
        if cached is not None and time.monotonic() - cached[0] < self._ttl_s:
            return cached[1]
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await fetch()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unawaited failure is not reported as lost
            raise
        else:
            self._values[key] = (time.monotonic(), value)
            future.set_result(value)
            return value
        finally:
            del self._running[key]

    def invalidate(self, match: Callable[[Hashable], bool]) -> None:
        """Forget cached values whose key matches (after an order changed them)."""
        for key in [k for k in self._values if match(k)]:
            del self._values[key]
