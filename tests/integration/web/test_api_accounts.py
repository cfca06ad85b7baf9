"""Accounts over the JSON API: sign-up, sign-in with 2FA, recovery codes, throttling, sign-out."""

from __future__ import annotations

import pyotp

from tests.support.web import PASSWORD, Api, User, new_user
from tradebind.web.server import WebServer


def test_signup_refuses_bad_input_naming_the_field(web: WebServer) -> None:
    api = Api(web.url)
    cases = [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "x@example.com", "password": "short"}, "password"),
        ({"email": "x@example.com"}, "password"),
        ({"email": "x@example.com", "password": PASSWORD, "admin": True}, "admin"),
    ]
    for body, field in cases:
        r = api.call("POST", "/users", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"] == field
        assert field in r.json()["detail"]
    r = api.call("POST", "/users", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422


def test_signup_twice_with_one_email_is_a_conflict(web: WebServer) -> None:
    user = new_user(web.url, two_factor=False)
    r = Api(web.url).call("POST", "/users", json={"email": user.email.upper(), "password": PASSWORD})
    assert r.status_code == 409
    assert r.json()["field"] == "email"


def test_sign_in_needs_the_right_password_and_then_the_code(web: WebServer, alice: User) -> None:
    assert alice.device is not None
    api = Api(web.url)
    wrong = api.call("POST", "/sessions", json={"email": alice.email, "password": "wrong password!"})
    assert wrong.status_code == 401
    assert wrong.json()["field"] == "password"
    no_code = api.call("POST", "/sessions", json={"email": alice.email, "password": PASSWORD})
    assert no_code.status_code == 401
    assert no_code.json()["field"] == "code"
    bad_code = api.call("POST", "/sessions", json={"email": alice.email, "password": PASSWORD, "code": "000000"})
    assert bad_code.status_code == 401
    code = alice.device.code()
    ok = api.call("POST", "/sessions", json={"email": alice.email, "password": PASSWORD, "code": code})
    assert ok.status_code == 201
    assert ok.json()["second_factor"] is True
    replay = api.call("POST", "/sessions", json={"email": alice.email, "password": PASSWORD, "code": code})
    assert replay.status_code == 401, "a TOTP code must work once"


def test_recovery_code_signs_in_once(web: WebServer) -> None:
    api = Api(web.url)
    user = new_user(web.url, two_factor=False)
    secret = user.api.call("POST", "/2fa/setup").json()["secret"]
    wrong = user.api.call("POST", "/2fa/confirm", json={"code": "123456"})
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "code"
    codes = user.api.call("POST", "/2fa/confirm", json={"code": pyotp.TOTP(secret).now()}).json()["recovery_codes"]
    assert len(codes) == 10
    assert user.api.call("GET", "/me").json()["recovery_codes_left"] == 10
    body = {"email": user.email, "password": PASSWORD, "code": codes[0].upper()}
    assert api.call("POST", "/sessions", json=body).status_code == 201
    assert api.call("POST", "/sessions", json=body).status_code == 401
    assert user.api.call("GET", "/me").json()["recovery_codes_left"] == 9
    again = user.api.call("POST", "/2fa/setup")
    assert again.status_code == 409


def test_failed_sign_ins_are_throttled(web: WebServer) -> None:
    user = new_user(web.url, two_factor=False)
    api = Api(web.url)
    statuses = [
        api.call("POST", "/sessions", json={"email": user.email, "password": f"wrong-{i}-password"}).status_code
        for i in range(5)
    ]
    assert statuses == [401] * 5
    locked = api.call("POST", "/sessions", json={"email": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert locked.json()["field"] == "email"


def test_api_needs_a_bearer_token(web: WebServer, alice: User) -> None:
    anonymous = Api(web.url)
    for path in ("/me", "/keys", "/bots", "/activity", "/exchanges/status"):
        r = anonymous.call("GET", path)
        assert r.status_code == 401, path
        assert r.json()["field"] == "Authorization"
    forged = Api(web.url)
    forged.token = "x" * 43
    assert forged.call("GET", "/me").status_code == 401
    me = alice.api.call("GET", "/me").json()
    assert me["email"] == alice.email
    assert me["totp_enabled"] is True


def test_sign_out_here_and_everywhere(web: WebServer, alice: User) -> None:
    assert alice.device is not None
    second = Api(web.url)
    body = {"email": alice.email, "password": PASSWORD, "code": alice.device.code()}
    second.token = second.call("POST", "/sessions", json=body).json()["token"]
    assert second.call("DELETE", "/sessions/current").status_code == 204
    assert second.call("GET", "/me").status_code == 401
    assert alice.api.call("GET", "/me").status_code == 200
    third = Api(web.url)
    body["code"] = alice.device.code()
    third.token = third.call("POST", "/sessions", json=body).json()["token"]
    assert alice.api.call("DELETE", "/sessions").status_code == 204
    assert alice.api.call("GET", "/me").status_code == 401
    assert third.call("GET", "/me").status_code == 401
