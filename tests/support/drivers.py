"""One synchronous call interface over an unmodified ccxt client, sync or async.

A :class:`Driver` runs the same ccxt method names through ``ccxt.<exchange>`` or
``ccxt.async_support.<exchange>`` (on an event loop of its own), so one test body covers both:

>>> driver = Driver("bybit", "async", sandbox.url, credentials)
>>> driver.fetch_balance()  # awaited on the driver's loop
>>> driver.close()
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from tests.support.clients import async_client, close_async, sync_client

MODES = ("sync", "async")


class Driver:
    """ccxt ``exchange`` in ``mode`` ("sync" or "async"); call ccxt methods on it directly."""

    def __init__(
        self, exchange: str, mode: str, base_url: str, credentials: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        self.mode = mode
        self._loop: asyncio.AbstractEventLoop | None = None
        if mode == "sync":
            self.client = sync_client(exchange, base_url, credentials, **kwargs)
            return
        self._loop = asyncio.new_event_loop()

        async def build() -> Any:
            # aiohttp sessions must be created inside the loop that will use them.
            return async_client(exchange, base_url, credentials, **kwargs)

        self.client = self._loop.run_until_complete(build())

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)
        loop = self._loop
        if loop is None or not callable(method):
            return method

        def run(*args: Any, **kwargs: Any) -> Any:
            # ccxt's implicit API methods are partials, so test what a call returns, not the method.
            result = method(*args, **kwargs)
            return loop.run_until_complete(result) if inspect.isawaitable(result) else result

        return run

    def close(self) -> None:
        if self._loop is not None:
            self._loop.run_until_complete(close_async(self.client))
            self._loop.close()
            self._loop = None
