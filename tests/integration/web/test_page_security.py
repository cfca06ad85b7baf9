"""Sign-in security through the pages: 2FA setup, login with a code, step-up, throttling, log out everywhere."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import requests

from tests.integration.web.support import paste
from tests.support.control import Control
from tests.support.web import PASSWORD, Authenticator
from tradebind.store.tables import utcnow
from tradebind.store.web_accounts import WebSessions
from tradebind.web import security
from tradebind.web.auth import COOKIE
from tradebind.web.server import WebServer


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _signed_up(web: WebServer, email: str) -> requests.Session:
    s = requests.Session()
    token = _csrf(s.get(f"{web.url}/signup").text)
    r = s.post(f"{web.url}/signup", data={"email": email, "password": PASSWORD, "csrf": token})
    assert r.url.endswith("/keys")
    return s


def _enable_2fa(web: WebServer, s: requests.Session) -> Authenticator:
    page = s.post(f"{web.url}/security/2fa/start", data={"csrf": _csrf(s.get(f"{web.url}/security").text)})
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page.text)
    assert secret
    device = Authenticator(secret.group(1))
    wrong = s.post(f"{web.url}/security/2fa/confirm", data={"code": "000000", "csrf": _csrf(page.text)})
    assert wrong.status_code == 422
    assert "code:" in wrong.text
    done = s.post(f"{web.url}/security/2fa/confirm", data={"code": device.code(), "csrf": _csrf(page.text)})
    assert done.status_code == 200
    assert len(re.findall(r"<li><code>[a-z0-9-]{14}</code></li>", done.text)) == 10
    return device


def test_two_factor_setup_login_and_step_up(web: WebServer, control: Control, account: str) -> None:
    s = _signed_up(web, "steps@example.com")
    key = paste(control, "binance", account)
    # 2FA off: adding a key is refused, naming the code.
    csrf = _csrf(s.get(f"{web.url}/keys/new").text)
    form = {**key, "markets": "spot", "label": "k", "csrf": csrf}
    refused = s.post(f"{web.url}/keys", data=form)
    assert refused.status_code == 403
    assert "two-factor" in refused.text
    device = _enable_2fa(web, s)
    assert "On" in s.get(f"{web.url}/security").text

    # A new browser: password alone is not enough once 2FA is on.
    b = requests.Session()
    token = _csrf(b.get(f"{web.url}/login").text)
    no_code = b.post(f"{web.url}/login", data={"email": "steps@example.com", "password": PASSWORD, "csrf": token})
    assert no_code.status_code == 401
    assert "code" in no_code.text
    body = {"email": "steps@example.com", "password": PASSWORD, "code": device.code(), "csrf": token}
    assert b.post(f"{web.url}/login", data=body).url.endswith("/keys")

    # Age the session's second factor: the add form now asks for a code, and without it refuses.
    cookie = b.cookies.get(COOKIE)
    assert cookie
    WebSessions(web.ctx.store).set_second_factor_at(security.digest(cookie), utcnow() - timedelta(hours=1))
    add_page = b.get(f"{web.url}/keys/new").text
    assert 'name="code"' in add_page
    form = {**key, "markets": "spot", "label": "k", "csrf": _csrf(add_page)}
    stale = b.post(f"{web.url}/keys", data=form)
    assert stale.status_code == 403
    ok = b.post(f"{web.url}/keys", data={**form, "code": device.code()})
    assert ok.status_code == 201, ok.text
    assert "CONNECTED" in ok.text
    assert key["secret"] not in ok.text


def test_page_login_is_throttled_and_log_out_everywhere_ends_sessions(web: WebServer) -> None:
    first = _signed_up(web, "many@example.com")
    second = requests.Session()
    token = _csrf(second.get(f"{web.url}/login").text)
    body = {"email": "many@example.com", "password": PASSWORD, "csrf": token}
    assert second.post(f"{web.url}/login", data=body).url.endswith("/keys")
    page = first.get(f"{web.url}/security")
    first.post(f"{web.url}/logout", data={"csrf": _csrf(page.text), "everywhere": "1"})
    for s in (first, second):
        assert s.get(f"{web.url}/keys", allow_redirects=False).status_code == 303

    attacker = requests.Session()
    token = _csrf(attacker.get(f"{web.url}/login").text)
    for i in range(5):
        wrong = {"email": "many@example.com", "password": f"guess-{i}-password", "csrf": token}
        assert attacker.post(f"{web.url}/login", data=wrong).status_code == 401
    locked = attacker.post(f"{web.url}/login", data={**body, "csrf": token})
    assert locked.status_code == 429
    assert "too many failed sign-ins" in locked.text


def test_totp_codes_follow_rfc6238() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = 1_800_000_000.0
    step = int(now // 30)
    assert security.totp_step(secret, totp.at(now), now) == step
    assert security.totp_step(secret, totp.at(now - 30), now) == step - 1
    assert security.totp_step(secret, totp.at(now + 30), now) == step + 1
    assert security.totp_step(secret, totp.at(now - 90), now) is None
    assert security.totp_step(secret, "12345", now) is None
    assert security.totp_step(secret, "abcdef", now) is None
    hashed = security.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert security.verify_password(hashed, PASSWORD)
    assert not security.verify_password(hashed, PASSWORD + "x")
    assert not security.verify_password(None, PASSWORD)
