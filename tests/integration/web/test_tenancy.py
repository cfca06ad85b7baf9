"""Tenant isolation: another user's ids get 404 on every endpoint and page, and lists never mix."""

from __future__ import annotations

from typing import Any

import requests

from tests.integration.web.support import funded, paste
from tests.support.control import Control
from tests.support.web import PASSWORD, User
from tradebind.store import BotRepository
from tradebind.web.server import WebServer


def _browser(web: WebServer, user: User) -> requests.Session:
    """A signed-in browser session for ``user`` (login form with CSRF and a code)."""
    assert user.device is not None
    s = requests.Session()
    form = s.get(f"{web.url}/login")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    body = {"email": user.email, "password": PASSWORD, "code": user.device.code(), "csrf": csrf}
    r = s.post(f"{web.url}/login", data=body, allow_redirects=False)
    assert r.status_code == 303, r.text
    return s


def test_another_users_binding_is_not_found_everywhere(
    web: WebServer, alice: User, bob: User, control: Control, account: str
) -> None:
    funded(control, "binance", account, "777")
    created = alice.api.call(
        "POST", "/keys", json={**paste(control, "binance", account), "markets": ["spot"], "label": "a"}
    )
    binding_id = created.json()["reports"][0]["binding_id"]
    credential_id = created.json()["credential_id"]
    BotRepository(web.ctx.store, alice.owner_id).add("alice-bot", binding_id, "BTC/USDT", "dca", {})
    assert bob.device is not None
    replacement = paste(control, "binance", account)
    replacement.pop("exchange")
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/bindings/{binding_id}", {}),
        ("POST", f"/bindings/{binding_id}/check", {}),
        ("PUT", f"/bindings/{binding_id}/key", {"json": replacement, "code": bob.device.code()}),
        ("DELETE", f"/bindings/{binding_id}", {"code": bob.device.code()}),
    ]
    for method, path, kwargs in calls:
        r = bob.api.call(method, path, **kwargs)
        assert r.status_code == 404, (method, path, r.text)
        assert "777" not in r.text
    assert bob.api.call("GET", "/keys").json() == []
    assert bob.api.call("GET", "/bots").json() == []
    assert bob.api.call("GET", "/activity", params={"credential_id": credential_id}).json() == []
    assert all(e["credential_id"] is None for e in bob.api.call("GET", "/activity").json())
    # Alice's binding is untouched by Bob's attempts.
    mine = alice.api.call("GET", f"/bindings/{binding_id}").json()
    assert (mine["available"], mine["bot_names"]) == ("777", ["alice-bot"])

    browser = _browser(web, bob)
    for path in (f"/bindings/{binding_id}",):
        assert browser.get(f"{web.url}{path}").status_code == 404
    page = browser.get(f"{web.url}/keys")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    for action in ("check", "delete", "replace"):
        r = browser.post(
            f"{web.url}/bindings/{binding_id}/{action}", data={"csrf": csrf, "api_key": "x", "secret": "y"}
        )
        assert r.status_code == 404, action
    for path in ("/keys", "/bots", f"/activity?key={credential_id}"):
        assert binding_id not in browser.get(f"{web.url}{path}").text
        assert "alice-bot" not in browser.get(f"{web.url}{path}").text
