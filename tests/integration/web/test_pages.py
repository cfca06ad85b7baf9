"""The cabinet's pages over HTTP: sign-in redirects, CSRF on every form, headers, no secrets shown."""

from __future__ import annotations

import re

import requests

from tests.integration.web.support import paste
from tests.support.control import Control
from tests.support.web import PASSWORD, User
from tradebind.web.server import WebServer

PAGES = ["/keys", "/keys/new", "/bots", "/activity", "/status", "/security"]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def test_pages_need_sign_in(web: WebServer) -> None:
    for path in PAGES:
        r = requests.get(f"{web.url}{path}", allow_redirects=False, timeout=30)
        assert r.status_code == 303, path
        assert r.headers["Location"] == "/login"


def test_every_form_needs_its_csrf_token(web: WebServer, alice: User) -> None:
    s = requests.Session()
    # Sign-up and sign-in forms: no token, or a token from another browser, is refused.
    assert s.post(f"{web.url}/signup", data={"email": "e@example.com", "password": PASSWORD}).status_code == 403
    other = requests.Session()
    foreign = _csrf(other.get(f"{web.url}/login").text)
    s.get(f"{web.url}/login")
    r = s.post(f"{web.url}/login", data={"email": alice.email, "password": PASSWORD, "csrf": foreign})
    assert r.status_code == 403
    assert "csrf" in r.text
    assert alice.device is not None
    token = _csrf(s.get(f"{web.url}/login").text)
    body = {"email": alice.email, "password": PASSWORD, "code": alice.device.code(), "csrf": token}
    assert s.post(f"{web.url}/login", data=body).url.endswith("/keys")
    for path in ("/keys", "/security/2fa/start", "/security/step-up", "/logout"):
        r = s.post(f"{web.url}{path}", data={"csrf": "forged"}, allow_redirects=False)
        assert r.status_code == 403, path
    assert s.get(f"{web.url}/keys").status_code == 200, "a refused logout must not sign out"


def test_sign_up_validates_and_signs_in(web: WebServer) -> None:
    s = requests.Session()
    token = _csrf(s.get(f"{web.url}/signup").text)
    bad = s.post(f"{web.url}/signup", data={"email": "nope", "password": PASSWORD, "csrf": token})
    assert bad.status_code == 422
    assert "email:" in bad.text
    short = s.post(f"{web.url}/signup", data={"email": "p@example.com", "password": "x", "csrf": token})
    assert short.status_code == 422
    assert "password:" in short.text
    ok = s.post(f"{web.url}/signup", data={"email": "p@example.com", "password": PASSWORD, "csrf": token})
    assert ok.url.endswith("/keys")
    assert "No API keys yet" in ok.text
    assert "Two-factor authentication is off" in ok.text
    cookie = next(c for c in s.cookies if c.name == "tb_session")
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_security_headers_and_no_secret_in_responses(
    web: WebServer, alice: User, control: Control, account: str
) -> None:
    key = paste(control, "binance", account)
    created = alice.api.call("POST", "/keys", json={**key, "markets": ["spot"], "label": "k"})
    binding_id = created.json()["reports"][0]["binding_id"]
    texts = [created.text]
    for path in ("/keys", f"/bindings/{binding_id}", "/activity", "/bots"):
        texts.append(alice.api.call("GET", path).text)
    s = requests.Session()
    assert alice.device is not None
    token = _csrf(s.get(f"{web.url}/login").text)
    s.post(
        f"{web.url}/login",
        data={"email": alice.email, "password": PASSWORD, "code": alice.device.code(), "csrf": token},
    )
    for path in [*PAGES, f"/bindings/{binding_id}"]:
        r = s.get(f"{web.url}{path}")
        assert r.status_code == 200, path
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "<script>" not in r.text, "no inline script"
        texts.append(r.text)
    for text in texts:
        assert key["secret"] not in text
        assert key["api_key"] not in text
    add_form = s.get(f"{web.url}/keys/new").text
    assert 'autocomplete="off"' in add_form
    api = alice.api.call("GET", "/keys")
    assert api.headers["X-Frame-Options"] == "DENY"
    assert api.headers["Cache-Control"] == "no-store"


def test_unknown_pages_and_bad_ids_are_4xx_pages(web: WebServer, alice: User) -> None:
    s = requests.Session()
    assert alice.device is not None
    token = _csrf(s.get(f"{web.url}/login").text)
    s.post(
        f"{web.url}/login",
        data={"email": alice.email, "password": PASSWORD, "code": alice.device.code(), "csrf": token},
    )
    for path in ("/bindings/does-not-exist", "/nowhere"):
        r = s.get(f"{web.url}{path}")
        assert r.status_code == 404
        assert "Traceback" not in r.text
    assert "Not found" in s.get(f"{web.url}/bindings/x").text
    assert alice.api.call("GET", "/bindings/" + "x" * 65).status_code == 422
