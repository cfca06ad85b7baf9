"""Fixtures for the Binance protocol tests: keys, funded accounts and ccxt drivers (sync and async)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from tests.support.control import Control
from tests.support.drivers import MODES, Driver
from tradebind.sandbox.protocols.binance_signing import hmac_signature
from tradebind.sandbox.server import SandboxServer

ALL_PERMISSIONS = ["read", "spot", "futures", "universal_transfer"]
# Binance counts request weight per IP (6000 per minute on /api): each test desk talks from a
# loopback address of its own, so a suite of tests in one minute does not trip the limit that
# the rate-limit tests check on purpose.
_SOURCE_IPS = (f"127.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def binance_error(exc: BaseException, client: Driver | None = None) -> dict[str, Any]:
    """The ``{"code", "msg"}`` body behind a ccxt exception.

    ccxt quotes the body in the exception, except when it matched the message alone (then it
    quotes only the message): pass the ``client`` to read the body it last received instead.
    """
    text = str(exc)
    if client is not None:
        text = client.client.last_http_response
    return json.loads(text[text.index("{") :])  # type: ignore[no-any-return]


@dataclass
class BinanceDesk:
    """A sandbox (shared or fresh), its control API and the drivers a test opened."""

    url: str
    control: Control
    account: str
    mode: str
    drivers: list[Driver] = field(default_factory=list)
    source_ip: str = field(default_factory=lambda: next(_SOURCE_IPS))

    def key(self, permissions: list[str] | None = None, *, account: str | None = None, **extra: Any) -> dict[str, str]:
        """A new Binance key as ccxt credentials."""
        perms = ALL_PERMISSIONS if permissions is None else permissions
        made = self.control.create_key("binance", account or self.account, perms, **extra)
        return {"apiKey": made["api_key"], "secret": made["secret"]}

    def client(self, credentials: dict[str, str] | None = None, *, mode: str | None = None, **kwargs: Any) -> Driver:
        """A ccxt driver from the desk's own source address unless ``source_ip`` says otherwise."""
        kwargs.setdefault("source_ip", self.source_ip)
        driver = Driver("binance", mode or self.mode, self.url, credentials, **kwargs)
        self.drivers.append(driver)
        return driver

    def trader(self, spot_usdt: str = "10000", futures_usdt: str = "10000", **kwargs: Any) -> Driver:
        """A client on a fresh all-permission key, with USDT in the Spot and USDⓈ-M wallets."""
        for wallet, amount in (("spot", spot_usdt), ("futures", futures_usdt)):
            if amount != "0":
                self.control.deposit("binance", self.account, wallet, "USDT", amount)
        return self.client(self.key(), **kwargs)

    def set_price(self, pair: str, price: str) -> None:
        self.control.set_price("binance", pair, price)

    def fault(self, kind: str, **params: Any) -> None:
        self.control.fault("binance", kind, **params)

    def wallets(self) -> dict[str, Any]:
        return self.control.balances("binance", self.account)["wallets"]  # type: ignore[no-any-return]

    def close(self) -> None:
        for driver in self.drivers:
            driver.close()


@pytest.fixture(params=MODES)
def desk(
    request: pytest.FixtureRequest, sandbox: SandboxServer, control: Control, account: str
) -> Iterator[BinanceDesk]:
    """The shared sandbox, driven through ccxt sync and async in turn."""
    desk = BinanceDesk(sandbox.url, control, account, request.param)
    yield desk
    desk.close()


@pytest.fixture(params=MODES)
def fresh_desk(request: pytest.FixtureRequest, fresh_sandbox: SandboxServer, account: str) -> Iterator[BinanceDesk]:
    """A sandbox of the test's own (prices, faults), driven through ccxt sync and async in turn."""
    desk = BinanceDesk(fresh_sandbox.url, Control(fresh_sandbox.url), account, request.param)
    yield desk
    desk.close()


def signed(
    desk: BinanceDesk, method: str, path: str, params: dict[str, str], credentials: dict[str, str]
) -> requests.Response:
    """A hand-signed request (no ccxt) for what ccxt never sends, e.g. an order without a client id."""
    query = urlencode({**params, "timestamp": str(int(time.time() * 1000))})
    query += "&signature=" + hmac_signature(credentials["secret"], query)
    return requests.request(
        method, f"{desk.url}/binance{path}?{query}", headers={"X-MBX-APIKEY": credentials["apiKey"]}, timeout=30
    )
