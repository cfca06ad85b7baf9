"""Fixtures for the OKX protocol tests: keys with passphrases and ccxt drivers (sync and async).

A :class:`Driver` runs the same ccxt method names through either an unmodified sync ``ccxt.okx`` or
an unmodified ``ccxt.async_support.okx`` (on a loop of its own), so one test body covers both.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.clients import async_client, close_async, sync_client
from tests.support.control import Control
from tradebind.sandbox.server import SandboxServer

PASSPHRASE = "Sandbox-Pass-1"


class Driver:
    """ccxt okx, sync or async, behind one synchronous call interface."""

    def __init__(self, mode: str, base_url: str, credentials: dict[str, str] | None, **kwargs: Any) -> None:
        self.mode = mode
        self._loop: asyncio.AbstractEventLoop | None = None
        if mode == "sync":
            self.client = sync_client("okx", base_url, credentials, **kwargs)
        else:
            self._loop = asyncio.new_event_loop()

            async def build() -> Any:
                return async_client("okx", base_url, credentials, **kwargs)

            self.client = self._loop.run_until_complete(build())

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)
        if self._loop is None:
            return method  # type: ignore[no-any-return]
        loop = self._loop

        def run(*args: Any, **kwargs: Any) -> Any:
            return loop.run_until_complete(method(*args, **kwargs))

        return run

    def close(self) -> None:
        if self._loop is not None:
            self._loop.run_until_complete(close_async(self.client))
            self._loop.close()


DriverFactory = Callable[..., Driver]


def new_key(control: Control, account: str, permissions: list[str] | None = None, **extra: Any) -> dict[str, str]:
    """A fresh OKX key as ccxt credentials (``password`` is the passphrase)."""
    extra.setdefault("passphrase", PASSPHRASE)
    created = control.create_key("okx", account, permissions or ["read", "trade"], **extra)
    return {"apiKey": created["api_key"], "secret": created["secret"], "password": extra["passphrase"]}


def _factory(request: pytest.FixtureRequest, base_url: str, mode: str) -> Iterator[DriverFactory]:
    drivers: list[Driver] = []

    def make(credentials: dict[str, str] | None = None, **kwargs: Any) -> Driver:
        driver = Driver(mode, base_url, credentials, **kwargs)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


@pytest.fixture(params=["sync", "async"])
def okx(request: pytest.FixtureRequest, sandbox: SandboxServer) -> Iterator[DriverFactory]:
    """Make ccxt okx drivers against the shared sandbox; each test runs once sync, once async."""
    yield from _factory(request, sandbox.url, request.param)


@pytest.fixture(params=["sync", "async"])
def fresh_okx(request: pytest.FixtureRequest, fresh_sandbox: SandboxServer) -> Iterator[DriverFactory]:
    """Drivers against a sandbox of the test's own (faults, pinned prices)."""
    yield from _factory(request, fresh_sandbox.url, request.param)


@pytest.fixture
def fresh_control(fresh_sandbox: SandboxServer) -> Control:
    return Control(fresh_sandbox.url)


@pytest.fixture
def credentials(control: Control, account: str) -> dict[str, str]:
    """A read + trade key on the test's own account of the shared sandbox."""
    return new_key(control, account)


@pytest.fixture
def client_order_id() -> str:
    return uuid.uuid4().hex[:20]
