"""API keys over the JSON API: add (check first), refusals, re-check, replace, delete, lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

from tests.integration.check.support import fund
from tests.integration.web.support import ELSEWHERE, funded, paste
from tests.support.control import Control
from tests.support.web import User, new_user
from tradebind.domain.market import Market
from tradebind.store import BindingRepository, BotRepository
from tradebind.store import engine as store_engine
from tradebind.store.tables import utcnow
from tradebind.store.web_accounts import WebSessions
from tradebind.web import security
from tradebind.web.server import WebServer


def add(
    user: User, key: dict[str, str], markets: list[str] | None = None, label: str = "main", **kw: Any
) -> requests.Response:
    return user.api.call("POST", "/keys", json={"markets": markets or ["spot"], "label": label, **key}, **kw)


def test_a_good_key_is_saved_connected_with_its_balance(
    web: WebServer, alice: User, control: Control, account: str
) -> None:
    funded(control, "binance", account, "1500")
    r = add(alice, paste(control, "binance", account))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["saved"] is True
    report = body["reports"][0]["report"]
    assert report["verdict"] == "CONNECTED"
    assert report["balance"]["total"]["available"] == "1500"
    listed = alice.api.call("GET", "/keys").json()
    assert len(listed) == 1
    item = listed[0]
    assert (item["exchange"], item["market"], item["label"]) == ("binance", "spot", "main")
    assert (item["verdict"], item["available"], item["quote"], item["bots"]) == ("CONNECTED", "1500", "USDT", 0)
    assert "…" in item["api_key"]
    assert item["last_checked"] is not None
    detail = alice.api.call("GET", f"/bindings/{item['binding_id']}").json()
    assert detail["last_report"]["verdict"] == "CONNECTED"
    assert detail["bot_names"] == []


def test_a_key_for_spot_and_futures_is_checked_for_each_with_its_own_calls(
    web: WebServer, alice: User, control: Control, account: str
) -> None:
    # The two checks run at once, each on a client of its own: each report has its market's
    # balance and only its own calls, in the order the markets were given.
    fund(control, "binance", Market.SPOT, account, "1500")
    fund(control, "binance", Market.FUTURES, account, "700")
    r = add(alice, paste(control, "binance", account, ["read", "spot", "futures"]), ["futures", "spot"])
    assert r.status_code == 201, r.text
    futures, spot = r.json()["reports"]
    assert (futures["market"], spot["market"]) == ("futures", "spot")
    assert futures["report"]["balance"]["total"]["available"] == "700"
    assert spot["report"]["balance"]["total"]["available"] == "1500"
    futures_calls = [e["call"] for e in futures["report"]["evidence"]]
    spot_calls = [e["call"] for e in spot["report"]["evidence"]]
    assert any("/fapi/" in c for c in futures_calls)
    assert not any("/fapi/" in c for c in spot_calls)
    assert spot_calls.count("GET /api/v3/account") == 1
    listed = alice.api.call("GET", "/keys").json()
    assert sorted((k["market"], k["available"]) for k in listed) == [("futures", "700"), ("spot", "1500")]


def test_refused_keys_are_not_saved_and_say_why(web: WebServer, alice: User, control: Control, account: str) -> None:
    withdraw = paste(control, "binance", account, ["read", "spot", "withdraw"])
    elsewhere = paste(control, "okx", account, ips=[ELSEWHERE])
    okx = paste(control, "okx", account)
    okx["passphrase"] = "Not-The-Passphrase-1"
    expected = [(withdraw, "WITHDRAW_ENABLED"), (elsewhere, "IP_NOT_ALLOWED"), (okx, "INVALID_PASSPHRASE")]
    for key, verdict in expected:
        r = add(alice, key)
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["saved"] is False
        assert body["field"] == "verdict"
        assert body["reports"][0]["report"]["verdict"] == verdict
        assert verdict in body["detail"]
    assert alice.api.call("GET", "/keys").json() == []


def test_key_changes_need_a_fresh_second_factor(web: WebServer, control: Control, account: str) -> None:
    no_2fa = new_user(web.url, two_factor=False)
    r = add(no_2fa, paste(control, "binance", account))
    assert r.status_code == 403
    assert r.json()["field"] == "code"
    user = new_user(web.url)
    assert user.device is not None
    assert user.api.token is not None
    # Age the session's last second factor past the step-up window.
    sessions = WebSessions(web.ctx.store)
    sessions.set_second_factor_at(security.digest(user.api.token), utcnow() - timedelta(hours=1))
    key = paste(control, "binance", account)
    stale = add(user, key)
    assert stale.status_code == 403
    assert stale.json()["field"] == "code"
    wrong = add(user, key, code="000000")
    assert wrong.status_code == 403
    ok = add(user, key, code=user.device.code())
    assert ok.status_code == 201, ok.text


def test_malformed_keys_get_a_4xx_naming_the_field(web: WebServer, alice: User, control: Control, account: str) -> None:
    good = paste(control, "binance", account)
    cases = [
        ({**good, "exchange": "kraken"}, "exchange"),
        ({**good, "api_key": "short"}, "api_key"),
        ({**good, "secret": "not a secret, has spaces!"}, "secret"),
        ({**good, "passphrase": "binance-has-none"}, "passphrase"),
        ({**good, "label": ""}, "label"),
    ]
    for key, field in cases:
        r = add(alice, key)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["field"] == field, r.text
    no_markets = alice.api.call("POST", "/keys", json={**good, "markets": [], "label": "x"})
    assert no_markets.status_code == 422
    assert no_markets.json()["field"] == "markets"
    bad_market = alice.api.call("POST", "/keys", json={**good, "markets": ["options"], "label": "x"})
    assert bad_market.status_code == 422
    assert bad_market.json()["field"].startswith("markets")
    assert alice.api.call("GET", "/keys").json() == []


def test_the_same_key_cannot_be_connected_twice(
    web: WebServer, alice: User, bob: User, control: Control, account: str
) -> None:
    key = paste(control, "binance", account)
    assert add(alice, key).status_code == 201
    again = add(alice, key, label="again")
    assert again.status_code == 409
    assert again.json()["field"] == "api_key"
    other = add(bob, key, label="bob's")
    assert other.status_code == 409
    assert "another tradebind account" in other.json()["detail"]


def test_replace_keeps_the_binding_and_its_bots(web: WebServer, alice: User, control: Control, account: str) -> None:
    funded(control, "binance", account, "200")
    first = add(alice, paste(control, "binance", account)).json()
    binding_id = first["reports"][0]["binding_id"]
    bots = BotRepository(web.ctx.store, alice.owner_id)
    bot = bots.add("dca-1", binding_id, "BTC/USDT", "dca", {"step": "1"})
    bots.set_state(bot.id, "running")
    read_only = paste(control, "binance", account, ["read"])
    read_only.pop("exchange")
    refused = alice.api.call("PUT", f"/bindings/{binding_id}/key", json=read_only)
    assert refused.status_code == 422
    assert refused.json()["reports"][0]["report"]["verdict"] == "MISSING_PERMISSION"
    assert BindingRepository(web.ctx.store, alice.owner_id).resolve(binding_id).version == 1
    new = paste(control, "binance", account)
    new.pop("exchange")
    r = alice.api.call("PUT", f"/bindings/{binding_id}/key", json=new)
    assert r.status_code == 200, r.text
    resolved = BindingRepository(web.ctx.store, alice.owner_id).resolve(binding_id)
    assert resolved.version == 2
    assert resolved.key_id_masked == f"{new['api_key'][:4]}…{new['api_key'][-4:]}"
    assert bots.get(bot.id).binding_id == binding_id
    listed = alice.api.call("GET", "/bots").json()
    assert [(b["name"], b["binding_id"], b["balance"]) for b in listed] == [("dca-1", binding_id, "200")]
    assert alice.api.call("GET", "/keys").json()[0]["bots"] == 1


def test_delete_is_refused_while_bots_run_then_shreds(
    web: WebServer, alice: User, control: Control, account: str
) -> None:
    binding_id = add(alice, paste(control, "binance", account)).json()["reports"][0]["binding_id"]
    bots = BotRepository(web.ctx.store, alice.owner_id)
    bot = bots.add("grid", binding_id, "BTC/USDT", "dca", {})
    bots.set_state(bot.id, "running")
    refused = alice.api.call("DELETE", f"/bindings/{binding_id}")
    assert refused.status_code == 409
    assert refused.json()["bots"] == ["grid"]
    bots.set_state(bot.id, "stopped")
    assert alice.api.call("DELETE", f"/bindings/{binding_id}").status_code == 204
    assert alice.api.call("GET", f"/bindings/{binding_id}").status_code == 404
    assert alice.api.call("GET", "/keys").json() == []
    actions = [e["action"] for e in alice.api.call("GET", "/activity").json()]
    assert "credential.delete" in actions


def test_recheck_sees_the_new_balance_and_status_page_counts_it(
    web: WebServer, alice: User, control: Control, account: str
) -> None:
    binding_id = add(alice, paste(control, "binance", account)).json()["reports"][0]["binding_id"]
    assert alice.api.call("GET", "/keys").json()[0]["available"] == "0"
    funded(control, "binance", account, "42.5")
    r = alice.api.call("POST", f"/bindings/{binding_id}/check")
    assert r.status_code == 200
    assert r.json()["report"]["balance"]["total"]["available"] == "42.5"
    assert alice.api.call("GET", "/keys").json()[0]["available"] == "42.5"
    status = {s["exchange"]: s for s in alice.api.call("GET", "/exchanges/status").json()}
    assert status["binance"]["state"] == "reachable"
    assert status["binance"]["checks"] >= 2
    log = alice.api.call("GET", "/activity").json()
    assert any(e["action"] == "secret.use" and e["purpose"] == "check" for e in log)
    cred = alice.api.call("GET", "/keys").json()[0]["credential_id"]
    filtered = alice.api.call("GET", "/activity", params={"credential_id": cred}).json()
    assert filtered
    assert all(e["credential_id"] == cred for e in filtered)
    bad_limit = alice.api.call("GET", "/activity", params={"limit": "0"})
    assert bad_limit.status_code == 422
    assert bad_limit.json()["field"] == "limit"


def test_a_database_too_busy_to_write_gets_a_503_and_nothing_is_half_saved(
    web: WebServer, alice: User, control: Control, account: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    funded(control, "binance", account, "100")
    key = paste(control, "binance", account)
    monkeypatch.setattr(store_engine, "WRITE_WAIT_S", 0.2)
    with web.ctx.store.write_turn():  # another writer of the cabinet's process holds on
        busy = add(alice, key)
    assert busy.status_code == 503, busy.text
    assert "busy" in busy.text
    assert alice.api.call("GET", "/keys").json() == []
    again = add(alice, key)
    assert again.status_code == 201, again.text


@pytest.mark.parametrize("exchange", ["binance", "okx", "bybit"])
def test_keys_of_one_exchange_account_are_known_as_one_account(
    web: WebServer, alice: User, control: Control, account: str, exchange: str
) -> None:
    """The check names the key's exchange account; saving remembers it, so the gateway gives keys
    of one account one rate budget."""
    other = f"{account}-b"
    for name in (account, other):
        funded(control, exchange, name, "100")
    added = [
        add(alice, paste(control, exchange, name), label=label)
        for name, label in ((account, "one"), (account, "two"), (other, "three"))
    ]
    assert [r.status_code for r in added] == [201, 201, 201], [r.text for r in added]
    reports = [r.json()["reports"][0] for r in added]
    accounts = [r["report"]["account"] for r in reports]
    assert accounts[0]
    assert accounts[0] == accounts[1] != accounts[2]
    bindings = BindingRepository(web.ctx.store, alice.owner_id)
    assert [bindings.resolve(r["binding_id"]).exchange_account for r in reports] == accounts
