"""Running the web app: in the foreground for ``tradebind serve`` / ``demo``, on a thread for tests.

:func:`build_context` wires the store and vault named by the settings; :class:`WebServer` runs
uvicorn on a daemon thread and returns once it listens (the real port when 0 asked for any).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import uvicorn

from tradebind.cli_admin import build_vault
from tradebind.domain.policy import CheckPolicy
from tradebind.exchanges.base import Endpoint
from tradebind.settings import Settings
from tradebind.store import Store
from tradebind.web.app import create_app
from tradebind.web.context import WebContext

__all__ = ["ForegroundServer", "WebServer", "build_context"]


def build_context(
    settings: Settings,
    *,
    sandbox_url: str | None = None,
    secure_cookies: bool = True,
    policy: CheckPolicy | None = None,
) -> WebContext:
    """The web context of these settings: store (migrated), vault, check policy from the environment.

    With ``sandbox_url`` every check connects to that tradebind sandbox instead of the exchanges.
    """
    store = Store.open(settings.database_url)
    return WebContext(
        store=store,
        vault=build_vault(settings),
        policy=policy if policy is not None else CheckPolicy.from_env(os.environ),
        endpoint=Endpoint(sandbox_url=sandbox_url),
        secure_cookies=secure_cookies,
        sandbox_pages_url=sandbox_url,
    )


class ForegroundServer(uvicorn.Server):
    """uvicorn for the foreground commands: SIGINT / SIGTERM shut it down and ``run`` returns.

    Plain uvicorn re-raises the caught signal after shutting down, which kills the process before
    the caller's clean-up (the demo's sandbox child) can run.
    """

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class WebServer:
    """The web app under uvicorn on a daemon thread (tests, the demo's in-process mode)."""

    def __init__(self, ctx: WebContext, host: str = "127.0.0.1", port: int = 0) -> None:
        self.ctx = ctx
        self.host = host
        config = uvicorn.Config(create_app(ctx), host=host, port=port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="web", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 30) -> WebServer:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.01)  # polling a condition with a deadline, not timing
        sockets = [s for server in self._server.servers for s in server.sockets]
        self.port = int(sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self.ctx.exchanges.stop()

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
