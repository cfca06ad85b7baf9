"""Fixtures for the Bybit protocol tests: keys, funded accounts and ccxt drivers (sync and async)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.control import Control
from tests.support.drivers import MODES, Driver
from tradebind.sandbox.server import SandboxServer

ALL_PERMISSIONS = ["read", "spot", "futures", "transfer"]


@dataclass
class BybitDesk:
    """A sandbox (shared or fresh), its control API and the drivers a test opened."""

    url: str
    control: Control
    account: str
    mode: str
    drivers: list[Driver] = field(default_factory=list)

    def key(self, permissions: list[str] | None = None, *, account: str | None = None, **extra: Any) -> dict[str, str]:
        """A new Bybit key as ccxt credentials."""
        perms = ALL_PERMISSIONS if permissions is None else permissions
        made = self.control.create_key("bybit", account or self.account, perms, **extra)
        return {"apiKey": made["api_key"], "secret": made["secret"]}

    def client(self, credentials: dict[str, str] | None = None, *, mode: str | None = None, **kwargs: Any) -> Driver:
        driver = Driver("bybit", mode or self.mode, self.url, credentials, **kwargs)
        self.drivers.append(driver)
        return driver

    def trader(self, usdt: str = "10000", **kwargs: Any) -> Driver:
        """A client on a fresh key with every trading permission and ``usdt`` in the unified wallet."""
        self.control.deposit("bybit", self.account, "unified", "USDT", usdt)
        return self.client(self.key(), **kwargs)

    def close(self) -> None:
        for driver in self.drivers:
            driver.close()


@pytest.fixture(params=MODES)
def desk(request: pytest.FixtureRequest, sandbox: SandboxServer, control: Control, account: str) -> Iterator[BybitDesk]:
    """The shared sandbox, driven through ccxt sync and async in turn."""
    desk = BybitDesk(sandbox.url, control, account, request.param)
    yield desk
    desk.close()


@pytest.fixture(params=MODES)
def fresh_desk(request: pytest.FixtureRequest, fresh_sandbox: SandboxServer, account: str) -> Iterator[BybitDesk]:
    """A sandbox of the test's own (prices, faults), driven through ccxt sync and async in turn."""
    desk = BybitDesk(fresh_sandbox.url, Control(fresh_sandbox.url), account, request.param)
    yield desk
    desk.close()
