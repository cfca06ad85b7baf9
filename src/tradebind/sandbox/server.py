"""Running the sandbox: in the foreground for the CLI, or on a background thread for tests."""

from __future__ import annotations

import asyncio
import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from aiohttp import web

from .app import build_app, build_venues
from .core import Venue
from .protocols import ExchangeProtocol
from .state import load as load_state


async def _start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    # access_log=None: per-request logging would halve throughput and is noise for a simulator.
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    # The real port, also when 0 asked the OS to pick one.
    bound_port = runner.addresses[0][1]
    return runner, int(bound_port)


def serve_forever(
    host: str,
    port: int,
    seed: int,
    on_ready: Callable[[str], None],
    state: Path | None = None,
    *,
    stop_on_stdin_eof: bool = False,
) -> None:
    """Serve until SIGINT or SIGTERM (or, with ``stop_on_stdin_eof``, until standard input ends:
    a pipe from the process that started it ends when that process does, even if it was killed);
    call ``on_ready`` with the base URL once listening.

    With ``state`` the venues are loaded from that file first (when it exists) and saved back
    while running and on the way out (raises :class:`~.state.StateError` for an unusable file).
    The loop is uvloop's when installed: it roughly halves the cost of each request.
    """
    venues = build_venues(seed)
    if state is not None:
        load_state(state, {name: venue for name, (_, venue) in venues.items()})

    async def main() -> None:
        app = build_app(venues, state)
        runner, bound = await _start(app, host, port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if stop_on_stdin_eof:
            stdin = sys.stdin.fileno()

            def read_stdin() -> None:
                if not os.read(stdin, 4096):  # the end: whoever held the other end is gone
                    loop.remove_reader(stdin)
                    stop.set()

            loop.add_reader(stdin, read_stdin)
        on_ready(f"http://{_url_host(host)}:{bound}")
        await stop.wait()
        await runner.cleanup()

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(main())


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard], but is optional
        return None
    return uvloop.new_event_loop


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


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


class SandboxNotReady(RuntimeError):
    """The sandbox process exited or stayed silent before printing its URL."""


class SandboxProcess:
    """``tradebind sandbox`` as a separate process, for benchmarks and end-to-end tests.

    ``start()`` returns once the process printed its base URL (``url``); ``stop()`` signals it and
    waits. The process has its own interpreter, so the client's CPU use never slows the sandbox's
    event loop as it would on :class:`SandboxServer`'s thread.
    """

    def __init__(self, *args: str, ready_timeout_s: float = 60, command: list[str] | None = None) -> None:
        """``args`` follow ``tradebind sandbox --port 0``; ``command`` replaces ``tradebind`` (e.g. under cProfile)."""
        if command is None:
            script = Path(sys.executable).with_name("tradebind")
            command = [str(script)] if script.exists() else [sys.executable, "-m", "tradebind.cli"]
        self.args = [*command, "sandbox", "--port", "0", *args]
        self.ready_timeout_s = ready_timeout_s
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.banner: list[str] = []
        self.stderr = ""

    def start(self) -> SandboxProcess:
        # Our own entry point with our own arguments, never a shell: nothing untrusted runs here.
        # Its standard input is a pipe from us, so it stops when we end, however we end.
        self.proc = subprocess.Popen(  # noqa: S603
            [*self.args, "--stop-with-parent"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stdout = self.proc.stdout
        if stdout is None:  # pragma: no cover - PIPE always gives a stream
            raise SandboxNotReady("no stdout")
        deadline = time.monotonic() + self.ready_timeout_s
        with selectors.DefaultSelector() as sel:
            sel.register(stdout, selectors.EVENT_READ)
            while not self.url:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    _, self.stderr = self.stop()
                    raise SandboxNotReady(f"sandbox did not become ready: {self.banner} {self.stderr}")
                if sel.select(timeout=left):
                    line = stdout.readline()
                    self.banner.append(line.rstrip())
                    found = re.search(r"ready at (http://\S+)", line)
                    if found:
                        self.url = found.group(1)
        return self

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 30) -> tuple[int, str]:
        """Signal the process and wait for it to exit; return its exit code and stderr."""
        if self.proc is None:
            raise RuntimeError("the sandbox process was never started")
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise SandboxNotReady("sandbox did not stop on its signal") from None
        return self.proc.returncode, err

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
