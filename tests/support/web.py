"""Test support of the web cabinet: a running app on a real store and sandbox, and a JSON API client.

``web_app`` starts uvicorn on a thread over a SQLite file (or a PostgreSQL schema) with checks
pointed at the sandbox, tradebind's egress IP set to 127.0.0.1 (where the app's connections to
the sandbox come from). :class:`Authenticator` plays the user's authenticator app: it hands out
codes of time steps not used yet, as the server refuses a replayed code.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import requests

from tests.integration.store.support import database
from tradebind.domain.policy import CheckPolicy
from tradebind.exchanges.base import Endpoint
from tradebind.store import Store
from tradebind.vault import EnvelopeVault, LocalFileKekProvider
from tradebind.web.context import WebContext
from tradebind.web.server import WebServer

PASSWORD = "correct horse battery staple"
EGRESS = "127.0.0.1"


@contextmanager
def web_app(sandbox_url: str, tmp_path: Path, backend: str = "sqlite") -> Iterator[WebServer]:
    with database(backend, tmp_path) as db:
        store = Store.open(db.url)
        ctx = WebContext(
            store=store,
            vault=EnvelopeVault(LocalFileKekProvider(tmp_path / "web.kek")),
            policy=CheckPolicy(egress_ips=(EGRESS,)),
            endpoint=Endpoint(sandbox_url=sandbox_url),
            secure_cookies=False,
            sandbox_pages_url=sandbox_url,
        )
        try:
            with WebServer(ctx) as server:
                yield server
        finally:
            store.close()


@dataclass
class Authenticator:
    """An authenticator app holding one TOTP secret; each code it gives is for a fresh time step."""

    secret: str
    used: set[int] = field(default_factory=set)

    def code(self, deadline_s: float = 70) -> str:
        totp = pyotp.TOTP(self.secret)
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            current = int(time.time() // totp.interval)
            for step in (current - 1, current, current + 1):
                if step not in self.used and all(step > u for u in self.used):
                    self.used.add(step)
                    return totp.generate_otp(step)
            time.sleep(0.2)  # waiting for the next time step (a condition), not for timing
        raise AssertionError("no unused TOTP step came up")


class Api:
    """A JSON API client; ``token`` once signed in."""

    def __init__(self, base_url: str) -> None:
        self.base = f"{base_url}/api/v1"
        self.http = requests.Session()
        self.token: str | None = None

    def call(self, method: str, path: str, *, code: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if code is not None:
            headers["X-Second-Factor"] = code
        return self.http.request(method, f"{self.base}{path}", headers=headers, timeout=60, **kwargs)


@dataclass
class User:
    email: str
    api: Api
    device: Authenticator | None
    owner_id: str


def new_user(base_url: str, *, two_factor: bool = True) -> User:
    """Sign up, sign in and (by default) turn on 2FA through the API."""
    api = Api(base_url)
    email = f"u{uuid.uuid4().hex[:10]}@example.com"
    created = api.call("POST", "/users", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    signed = api.call("POST", "/sessions", json={"email": email, "password": PASSWORD})
    assert signed.status_code == 201, signed.text
    api.token = signed.json()["token"]
    device = None
    if two_factor:
        setup = api.call("POST", "/2fa/setup")
        assert setup.status_code == 200, setup.text
        device = Authenticator(setup.json()["secret"])
        confirmed = api.call("POST", "/2fa/confirm", json={"code": device.code()})
        assert confirmed.status_code == 200, confirmed.text
    return User(email, api, device, created.json()["id"])
