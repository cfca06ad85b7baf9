"""The API-management pages at /<exchange>/, driven over plain HTTP as a browser's forms would."""

from __future__ import annotations

import html
import re

import pytest
import requests

from tests.support.clients import sync_client
from tests.support.control import Control
from tradebind.sandbox.core import Market, Permission
from tradebind.sandbox.protocols import PROTOCOLS
from tradebind.sandbox.server import SandboxServer

from .helpers import EXCHANGES, PASSPHRASE, ccxt_credentials, key_extras, trading_permissions


class Page:
    """One person's browser on one exchange's API-management page."""

    def __init__(self, base_url: str, exchange: str, account: str) -> None:
        self.url = f"{base_url}/{exchange}"
        self.exchange, self.account = exchange, account
        self.http = requests.Session()
        self.last = self.open()

    def open(self) -> requests.Response:
        self.last = self.http.get(f"{self.url}/", params={"account": self.account}, timeout=10)
        return self.last

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.last.text)
        assert found, "the page carries a CSRF token"
        return found.group(1)

    def post(self, action: str, fields: list[tuple[str, str]]) -> requests.Response:
        data = [("csrf", self.csrf()), ("account", self.account), *fields]
        self.last = self.http.post(f"{self.url}/api-management/{action}", data=data, timeout=10)
        return self.last

    def create_key(self, permissions: list[str], **fields: str) -> requests.Response:
        form = [("permissions", p) for p in permissions] + list(fields.items())
        if PROTOCOLS[self.exchange].requires_passphrase and "passphrase" not in fields:
            form.append(("passphrase", PASSPHRASE))
        return self.post("keys", form)


def _shown(resp: requests.Response, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]+)<', resp.text)
    assert found, f"{element_id} is on the page"
    return html.unescape(found.group(1))


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_page_offers_the_exchange_permissions_with_help(sandbox: SandboxServer, account: str, exchange: str) -> None:
    page = Page(sandbox.url, exchange, account)
    resp = page.last
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    for name in PROTOCOLS[exchange].permission_names:
        assert f'name="permissions" value="{name}"' in resp.text
    assert ('name="passphrase"' in resp.text) is PROTOCOLS[exchange].requires_passphrase
    grants = set().union(*PROTOCOLS[exchange].permission_names.values())
    if Permission.WITHDRAW in grants:
        assert "Never tick Withdrawals" in resp.text
    assert "IP access restriction" in resp.text
    css = page.http.get(f"{page.url}/api-management/style.css", timeout=10)
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_key_made_on_the_page_works_with_ccxt_and_its_secret_is_shown_once(
    sandbox: SandboxServer, account: str, exchange: str
) -> None:
    page = Page(sandbox.url, exchange, account)
    created = page.create_key(trading_permissions(exchange), label="my bot", ips="127.0.0.1, 10.0.0.0/8")
    assert created.status_code == 201, created.text
    api_key, secret = _shown(created, "new-api-key"), _shown(created, "new-secret")
    assert "shown once" in created.text
    assert PASSPHRASE not in created.text

    client = sync_client(exchange, sandbox.url, ccxt_credentials(exchange, {"api_key": api_key, "secret": secret}))
    assert client.fetch_balance()["info"]  # signed with the shown secret: raises if it were wrong

    again = page.open()
    assert api_key in again.text
    assert "my bot" in again.text
    assert secret not in again.text
    listed = Control(sandbox.url).keys(exchange, account)
    assert [(k["api_key"], k["ips"]) for k in listed] == [(api_key, ["127.0.0.1", "10.0.0.0/8"])]


def test_deleting_a_key_on_the_page_revokes_it(sandbox: SandboxServer, account: str) -> None:
    exchange = EXCHANGES[0]
    page = Page(sandbox.url, exchange, account)
    api_key = _shown(page.create_key(["read"]), "new-api-key")
    deleted = page.post("keys/delete", [("api_key", api_key)])
    assert deleted.status_code == 200
    assert api_key not in deleted.text
    assert Control(sandbox.url).keys(exchange, account) == []
    again = page.post("keys/delete", [("api_key", api_key)])
    assert again.status_code == 404
    assert "api_key" in again.text


def test_a_key_of_another_account_cannot_be_deleted_from_this_page(sandbox: SandboxServer, account: str) -> None:
    exchange = EXCHANGES[0]
    theirs = Control(sandbox.url).create_key(exchange, f"{account}-other", ["read"], **key_extras(exchange))
    page = Page(sandbox.url, exchange, account)
    assert page.post("keys/delete", [("api_key", theirs["api_key"])]).status_code == 404
    assert len(Control(sandbox.url).keys(exchange, f"{account}-other")) == 1


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_deposit_on_the_page_funds_the_wallet(sandbox: SandboxServer, account: str, exchange: str) -> None:
    wallet = sandbox.venue(exchange).layout.wallet_for(Market.SPOT)
    page = Page(sandbox.url, exchange, account)
    resp = page.post("deposits", [("wallet", wallet), ("asset", "USDT"), ("amount", "2500")])
    assert resp.status_code == 200
    assert "Deposited 2500 USDT" in resp.text
    assert f"<tr><td>{wallet}</td><td>USDT</td><td>2500</td><td>0</td></tr>" in resp.text
    balances = Control(sandbox.url).balances(exchange, account)
    assert balances["wallets"][wallet]["USDT"]["free"] == "2500"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ([("wallet", "moon"), ("asset", "USDT"), ("amount", "1")], "wallet"),
        ([("wallet", "funding"), ("asset", "USDT"), ("amount", "-1")], "amount"),
        ([("wallet", "funding"), ("asset", "USDT"), ("amount", "NaN")], "amount"),
        ([("wallet", "funding"), ("asset", "USDT"), ("amount", "")], "amount"),
        ([("wallet", "funding"), ("asset", "<b>"), ("amount", "1")], "asset"),
    ],
)
def test_a_bad_deposit_is_refused_naming_the_field(
    sandbox: SandboxServer, account: str, fields: list[tuple[str, str]], field: str
) -> None:
    exchange = EXCHANGES[0]
    page = Page(sandbox.url, exchange, account)
    resp = page.post("deposits", fields)
    assert resp.status_code == 422
    assert f'data-field="{field}"' in resp.text
    assert Control(sandbox.url).balances(exchange, account)["wallets"]["funding"] == {}


@pytest.mark.parametrize(
    ("permissions", "fields", "field"),
    [
        (["read", "root"], {}, "permissions"),
        (["read"], {"ips": "127.0.0.1 not-an-ip"}, "ips"),
        (["read"], {"label": "x" * 200}, "label"),
    ],
)
def test_a_bad_key_form_is_refused_and_refilled(
    sandbox: SandboxServer, account: str, permissions: list[str], fields: dict[str, str], field: str
) -> None:
    exchange = EXCHANGES[0]
    page = Page(sandbox.url, exchange, account)
    resp = page.create_key(permissions, **fields)
    assert resp.status_code == 422
    assert f'data-field="{field}"' in resp.text
    assert 'id="new-secret"' not in resp.text
    if "ips" in fields:
        assert 'value="127.0.0.1 not-an-ip"' in resp.text
    assert Control(sandbox.url).keys(exchange, account) == []


@pytest.mark.parametrize("exchange", [n for n, p in sorted(PROTOCOLS.items()) if p.requires_passphrase])
def test_a_key_without_the_required_passphrase_is_refused(sandbox: SandboxServer, account: str, exchange: str) -> None:
    page = Page(sandbox.url, exchange, account)
    resp = page.create_key(["read"], passphrase="")
    assert resp.status_code == 422
    assert 'data-field="passphrase"' in resp.text


def test_a_form_without_the_page_token_is_forbidden(sandbox: SandboxServer, account: str) -> None:
    exchange = EXCHANGES[0]
    url = f"{sandbox.url}/{exchange}/api-management/keys"
    resp = requests.post(url, data={"account": account, "permissions": "read"}, timeout=10)
    assert resp.status_code == 403
    forged = requests.post(url, data={"csrf": "guess", "account": account, "permissions": "read"}, timeout=10)
    assert forged.status_code == 403
    assert Control(sandbox.url).keys(exchange, account) == []


def test_labels_are_escaped(sandbox: SandboxServer, account: str) -> None:
    page = Page(sandbox.url, EXCHANGES[0], account)
    page.create_key(["read"], label="<script>alert(1)</script>")
    shown = page.open().text
    assert "<script>alert(1)</script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_a_bad_account_name_is_a_400(sandbox: SandboxServer) -> None:
    resp = requests.get(f"{sandbox.url}/{EXCHANGES[0]}/", params={"account": "no spaces"}, timeout=10)
    assert resp.status_code == 400
    assert 'data-field="account"' in resp.text
