"""Running the sandbox: in the foreground for the CLI, or on a background thread for tests."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from .app import build_app, build_venues
from .core import Venue
from .protocols import ExchangeProtocol


async def _start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    # access_log=None: per-request logging would halve throughput and is noise for a simulator.
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.base_events.Server)
    bound_port = server.sockets[0].getsockname()[1]
    return runner, int(bound_port)


def serve_forever(host: str, port: int, seed: int, on_ready: Callable[[str], None]) -> None:
    """Serve until SIGINT or SIGTERM; call ``on_ready`` with the base URL once listening."""

    async def main() -> None:
        app = build_app(build_venues(seed))
        runner, bound = await _start(app, host, port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        on_ready(f"http://{host}:{bound}")
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())


class SandboxServer:
    """The sandbox on a daemon thread with its own event loop, for tests and benchmarks.

    >>> with SandboxServer() as sandbox:
    ...     sandbox.url  # 'http://127.0.0.1:<port>'
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: int = 0) -> None:
        self.host = host
        self._port = port
        self.venues: dict[str, tuple[ExchangeProtocol, Venue]] = build_venues(seed)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox", daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def venue(self, exchange: str) -> Venue:
        return self.venues[exchange][1]

    def start(self) -> SandboxServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(_start(build_app(self.venues), self.host, self._port), self._loop)
        self._runner, self.port = future.result(timeout=30)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
            self._runner = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
