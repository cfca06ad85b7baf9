"""The web process's event loop for exchange calls (connection checks).

Why a loop of its own instead of ``asyncio.run`` per check: closing a ccxt client waits 250 ms
(``timeout_on_exit``, so that TLS connections can shut down before their loop ends; ccxt PR
23470). A loop that ends with each check has to wait that out before the user sees the report.
On a loop that keeps running, the report is answered as soon as it is ready, and the client closes
in the background. :meth:`ExchangeLoop.stop` waits for those closes before the loop ends.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from ..exchanges.base import ExchangeAdapter

__all__ = ["ExchangeLoop"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_STOP_TIMEOUT_S = 30.0


class ExchangeLoop:
    """One event loop on a daemon thread, started at the first :meth:`run`; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closing: set[asyncio.Task[None]] = set()  # touched on the loop only

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and return its result (blocking: call from another thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self._started()).result()

    def close_later(self, adapter: ExchangeAdapter) -> None:
        """Close ``adapter`` in the background (call on the loop, from a coroutine :meth:`run` runs)."""
        task = asyncio.get_running_loop().create_task(adapter.close())
        self._closing.add(task)
        task.add_done_callback(self._closed)

    def stop(self) -> None:
        """Wait for the clients still closing, then end the loop and its thread (idempotent; a later
        :meth:`run` starts a new one)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._drain(), loop).result(timeout=_STOP_TIMEOUT_S)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=_STOP_TIMEOUT_S)
            if not thread.is_alive():
                loop.close()

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="tradebind-exchanges", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def _drain(self) -> None:
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _closed(self, task: asyncio.Task[None]) -> None:
        self._closing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("an exchange client did not close cleanly (%s)", type(task.exception()).__name__)
