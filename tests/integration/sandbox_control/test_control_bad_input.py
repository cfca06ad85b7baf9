"""Bad input to the control API: always a 4xx whose message names the field, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tradebind.sandbox.core import Market
from tradebind.sandbox.protocols import PROTOCOLS
from tradebind.sandbox.server import SandboxServer

from .helpers import EXCHANGES, key_extras

EX = EXCHANGES[0]
ACCOUNT = "bad-input"
TRADING = PROTOCOLS[EX].venue_spec().layout.wallet_for(Market.SPOT)


def _deposit(**changes: Any) -> dict[str, Any]:
    return {"exchange": EX, "account": ACCOUNT, "wallet": "funding", "asset": "USDT", "amount": "10", **changes}


def _key(**changes: Any) -> dict[str, Any]:
    return {"exchange": EX, "account": ACCOUNT, "permissions": ["read"], **key_extras(EX), **changes}


# (method, path, json body or None, query, expected status, field the message must name)
CASES: list[tuple[str, str, Any, dict[str, str], int, str]] = [
    ("POST", "/deposits", _deposit(exchange="kraken"), {}, 400, "exchange"),
    ("POST", "/deposits", _deposit(amount="-5"), {}, 422, "amount"),
    ("POST", "/deposits", _deposit(amount="0"), {}, 422, "amount"),
    ("POST", "/deposits", _deposit(amount="NaN"), {}, 422, "amount"),
    ("POST", "/deposits", _deposit(amount="Infinity"), {}, 422, "amount"),
    ("POST", "/deposits", _deposit(amount="1e400"), {}, 422, "amount"),
    ("POST", "/deposits", _deposit(amount=1e308), {}, 422, "amount"),
    ("POST", "/deposits", _deposit(amount="0.0000000000001"), {}, 422, "amount"),
    ("POST", "/deposits", _deposit(amount="ten"), {}, 422, "amount"),
    ("POST", "/deposits", _deposit(amount=True), {}, 422, "amount"),
    ("POST", "/deposits", _deposit(wallet="margin"), {}, 422, "wallet"),
    ("POST", "/deposits", _deposit(asset="usdt<script>"), {}, 422, "asset"),
    ("POST", "/deposits", _deposit(account="../../etc"), {}, 422, "account"),
    ("POST", "/deposits", _deposit(account="a" * 65), {}, 422, "account"),
    ("POST", "/deposits", _deposit(colour="blue"), {}, 422, "colour"),
    ("POST", "/deposits", {"exchange": EX}, {}, 422, "account"),
    ("POST", "/transfers", {**_deposit(), "to_wallet": "moon"}, {}, 422, "to_wallet"),
    ("POST", "/transfers", {**_deposit(), "to_wallet": "funding"}, {}, 422, "to_wallet"),
    ("POST", "/transfers", {**_deposit(amount="999999"), "to_wallet": TRADING}, {}, 400, "amount"),
    ("POST", "/keys", _key(exchange="nope"), {}, 400, "exchange"),
    ("POST", "/keys", _key(permissions=["read", "god_mode"]), {}, 422, "permissions"),
    ("POST", "/keys", _key(permissions="read"), {}, 422, "permissions"),
    ("POST", "/keys", _key(ips=["300.1.2.3"]), {}, 422, "ips"),
    ("POST", "/keys", _key(ips=["127.0.0.1", "example.com"]), {}, 422, "ips"),
    ("POST", "/keys", _key(ips=["10.0.0.1"] * 31), {}, 422, "ips"),
    ("POST", "/keys", _key(expires_at="2030-01-01T00:00:00"), {}, 422, "expires_at"),
    ("POST", "/keys", _key(expires_at="next tuesday"), {}, 422, "expires_at"),
    ("POST", "/keys", _key(environment="testnet"), {}, 422, "environment"),
    ("POST", "/keys", _key(label="x" * 129), {}, 422, "label"),
    ("POST", "/prices", {"exchange": EX, "symbol": "DOGE/USDT", "price": "1"}, {}, 400, "symbol"),
    ("POST", "/prices", {"exchange": EX, "symbol": "BTCUSDT", "price": "1"}, {}, 422, "symbol"),
    ("POST", "/prices", {"exchange": EX, "symbol": "BTC/USDT", "price": "-1"}, {}, 422, "price"),
    ("POST", "/faults", {"exchange": EX, "kind": "earthquake"}, {}, 422, "kind"),
    ("POST", "/faults", {"exchange": EX, "kind": "latency"}, {}, 422, "ms"),
    ("POST", "/faults", {"exchange": EX, "kind": "latency", "ms": -5}, {}, 422, "ms"),
    ("POST", "/faults", {"exchange": EX, "kind": "rate_limit"}, {}, 422, "weight_per_minute"),
    ("POST", "/faults", {"exchange": EX, "kind": "maintenance", "probability": "NaN"}, {}, 422, "probability"),
    ("POST", "/faults", {"exchange": EX, "kind": "maintenance", "count": 0}, {}, 422, "count"),
    ("POST", "/faults", {"exchange": EX, "kind": "maintenance", "extra": [1, 2]}, {}, 422, "extra"),
    ("POST", "/accounts", {"exchange": EX, "account": ACCOUNT, "trading_enabled": "yes"}, {}, 422, "trading_enabled"),
    ("POST", "/accounts", {"exchange": EX, "account": ACCOUNT, "frozen": 1}, {}, 422, "frozen"),
    ("POST", "/accounts", {"exchange": EX, "account": ACCOUNT}, {}, 422, "frozen"),
    ("GET", "/balances", None, {"exchange": EX}, 422, "account"),
    ("GET", "/balances", None, {"account": ACCOUNT}, 422, "exchange"),
    ("GET", "/balances", None, {"exchange": EX, "account": ACCOUNT, "acount": "typo"}, 422, "acount"),
    ("GET", "/balances", None, {"exchange": "ftx", "account": ACCOUNT}, 400, "exchange"),
    ("GET", "/keys", None, {}, 422, "exchange"),
    ("GET", "/keys", None, {"exchange": EX, "account": "no spaces please"}, 422, "account"),
    ("GET", "/prices", None, {"exchange": EX, "pair": "BTC/USDT"}, 422, "pair"),
    ("GET", "/faults", None, {"exchange": "nope"}, 400, "exchange"),
    ("DELETE", "/faults", None, {"exchange": "nope"}, 400, "exchange"),
    ("GET", "/orders", None, {"exchange": EX, "limit": "5"}, 422, "limit"),
    ("DELETE", "/keys/not-a-key", None, {}, 404, "api_key"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "status", "field"),
    CASES,
    ids=[f"{c[1]}-{c[5]}-{i}" for i, c in enumerate(CASES)],
)
def test_bad_input_gets_a_4xx_naming_the_field(
    sandbox: SandboxServer, method: str, path: str, body: Any, query: dict[str, str], status: int, field: str
) -> None:
    resp = requests.request(method, f"{sandbox.url}/sandbox/v1{path}", json=body, params=query, timeout=10)
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["field"] == field
    assert field in error["message"]


@pytest.mark.parametrize("exchange", [name for name, p in sorted(PROTOCOLS.items()) if p.requires_passphrase])
def test_a_key_without_its_passphrase_is_refused(sandbox: SandboxServer, exchange: str) -> None:
    body = {"exchange": exchange, "account": ACCOUNT, "permissions": ["read"]}
    resp = requests.post(f"{sandbox.url}/sandbox/v1/keys", json=body, timeout=10)
    assert resp.status_code == 422
    assert resp.json()["error"]["field"] == "passphrase"


@pytest.mark.parametrize("exchange", [name for name, p in sorted(PROTOCOLS.items()) if not p.requires_passphrase])
def test_a_passphrase_where_the_exchange_has_none_is_refused(sandbox: SandboxServer, exchange: str) -> None:
    body = {"exchange": exchange, "account": ACCOUNT, "permissions": ["read"], "passphrase": "nope-nope"}
    resp = requests.post(f"{sandbox.url}/sandbox/v1/keys", json=body, timeout=10)
    assert resp.status_code == 422
    assert resp.json()["error"]["field"] == "passphrase"
    assert "nope-nope" not in resp.text


@pytest.mark.parametrize(
    ("raw", "message"),
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "JSON object"), (b'"text"', "JSON object"), (b"", "not valid JSON")],
)
@pytest.mark.parametrize("path", ["/keys", "/deposits", "/transfers", "/prices", "/faults", "/accounts"])
def test_a_body_that_is_not_a_json_object_is_a_400(sandbox: SandboxServer, path: str, raw: bytes, message: str) -> None:
    resp = requests.post(
        f"{sandbox.url}/sandbox/v1{path}", data=raw, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["field"] == "body"
    assert message in resp.json()["error"]["message"]


def test_a_body_over_the_size_limit_is_refused(sandbox: SandboxServer) -> None:
    resp = requests.post(f"{sandbox.url}/sandbox/v1/keys", data=b"{" + b" " * (2 << 20) + b"}", timeout=30)
    assert resp.status_code == 413


def test_refusals_never_echo_a_passphrase(sandbox: SandboxServer) -> None:
    canary = "Canary-Passphrase-" + "x" * 64  # too long: refused
    resp = requests.post(f"{sandbox.url}/sandbox/v1/keys", json=_key(passphrase=canary), timeout=10)
    assert resp.status_code == 422
    assert canary not in resp.text
