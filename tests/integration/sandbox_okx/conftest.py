"""Fixtures for the OKX protocol tests: keys with passphrases and ccxt drivers (sync and async).

The drivers are the shared :class:`tests.support.drivers.Driver`: the same ccxt method names through
an unmodified sync ``ccxt.okx`` or ``ccxt.async_support.okx`` (on a loop of its own).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.control import Control
from tests.support.drivers import MODES, Driver
from tradebind.sandbox.server import SandboxServer

PASSPHRASE = "Sandbox-Pass-1"


DriverFactory = Callable[..., Driver]


def new_key(control: Control, account: str, permissions: list[str] | None = None, **extra: Any) -> dict[str, str]:
    """A fresh OKX key as ccxt credentials (``password`` is the passphrase)."""
    extra.setdefault("passphrase", PASSPHRASE)
    created = control.create_key("okx", account, permissions or ["read", "trade"], **extra)
    return {"apiKey": created["api_key"], "secret": created["secret"], "password": extra["passphrase"]}


def _factory(request: pytest.FixtureRequest, base_url: str, mode: str) -> Iterator[DriverFactory]:
    drivers: list[Driver] = []

    def make(credentials: dict[str, str] | None = None, **kwargs: Any) -> Driver:
        driver = Driver("okx", mode, base_url, credentials, **kwargs)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


@pytest.fixture(params=MODES)
def okx(request: pytest.FixtureRequest, sandbox: SandboxServer) -> Iterator[DriverFactory]:
    """Make ccxt okx drivers against the shared sandbox; each test runs once sync, once async."""
    yield from _factory(request, sandbox.url, request.param)


@pytest.fixture(params=MODES)
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
