"""Authentication through unmodified ccxt: every way a key can be refused, in OKX's codes."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import ccxt
import pytest
import requests

from tests.support.control import Control
from tradebind.sandbox.core import ErrorKind
from tradebind.sandbox.protocols.okx_errors import ERRORS, MISSING_HEADER_ERRORS
from tradebind.sandbox.server import SandboxServer

from .conftest import DriverFactory, new_key


def _code_of(exc: BaseException) -> str:
    """The OKX code in ccxt's error text (``okx {"code":"50113",...}``)."""
    text = str(exc)
    start = text.index('"code":"') + len('"code":"')
    return text[start : text.index('"', start)]


def test_a_good_key_reads_its_account(okx: DriverFactory, credentials: dict[str, str]) -> None:
    config = okx(credentials).privateGetAccountConfig()
    assert config["code"] == "0"
    assert config["data"][0]["perm"] == "read_only,trade"


@pytest.mark.parametrize(
    ("tamper", "code", "error"),
    [
        ({"secret": "22582BD0CFF14C41EDBF1AB98506286D"}, "50113", ccxt.AuthenticationError),
        ({"password": "not-the-passphrase"}, "50105", ccxt.AuthenticationError),
        ({"apiKey": "37c541a1-0000-4000-8000-10fe7a038418"}, "50111", ccxt.AuthenticationError),
        ({"apiKey": "not-a-uuid"}, "50111", ccxt.AuthenticationError),
    ],
    ids=["wrong-secret", "wrong-passphrase", "unknown-key", "malformed-key"],
)
def test_bad_credentials_get_okx_codes(
    okx: DriverFactory, credentials: dict[str, str], tamper: dict[str, str], code: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        okx({**credentials, **tamper}).fetch_balance()
    assert _code_of(raised.value) == code


def test_expired_key_no_longer_exists(okx: DriverFactory, control: Control, account: str) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    creds = new_key(control, account, expires_at=past)
    with pytest.raises(ccxt.ExchangeError) as raised:
        okx(creds).fetch_balance()
    assert _code_of(raised.value) == "50119"


@pytest.mark.parametrize(
    ("key_env", "demo_header"), [("demo", False), ("live", True)], ids=["demo-on-live", "live-on-demo"]
)
def test_environment_mismatch_is_50101(
    okx: DriverFactory, control: Control, account: str, key_env: str, demo_header: bool
) -> None:
    client = okx(new_key(control, account, environment=key_env))
    if demo_header:
        client.client.headers = {"x-simulated-trading": "1"}  # what set_sandbox_mode(True) sends
    with pytest.raises(ccxt.AuthenticationError) as raised:
        client.privateGetAccountConfig()
    assert _code_of(raised.value) == "50101"


def test_demo_key_works_in_demo_mode(okx: DriverFactory, control: Control, account: str) -> None:
    client = okx(new_key(control, account, environment="demo"))
    client.client.headers = {"x-simulated-trading": "1"}
    assert client.privateGetAccountConfig()["code"] == "0"


def test_ip_allow_list(okx: DriverFactory, control: Control, account: str) -> None:
    creds = new_key(control, account, ips=["127.0.0.2"])
    config = okx(creds, source_ip="127.0.0.2").privateGetAccountConfig()["data"][0]
    assert config["ip"] == "127.0.0.2"
    with pytest.raises(ccxt.PermissionDenied) as raised:
        okx(creds).privateGetAccountConfig()
    assert _code_of(raised.value) == "50110"
    assert "127.0.0.1" in str(raised.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_order("BTC/USDT", "limit", "buy", 0.001, 1000),
        lambda c: c.transfer("USDT", 1, "funding", "trading"),
        lambda c: c.set_leverage(5, "BTC/USDT:USDT"),
    ],
    ids=["order", "transfer", "leverage"],
)
def test_read_only_key_cannot_trade_or_move_funds(
    okx: DriverFactory, control: Control, account: str, call: Any
) -> None:
    client = okx(new_key(control, account, ["read"]))
    assert client.privateGetAccountConfig()["data"][0]["perm"] == "read_only"
    with pytest.raises(ccxt.ExchangeError) as raised:
        call(client)
    assert _code_of(raised.value) == "50120"


def _signed(sandbox: SandboxServer, creds: dict[str, str]) -> tuple[str, dict[str, str]]:
    """URL and headers exactly as ccxt signs GET /api/v5/account/config."""
    client = ccxt.okx({"urls": {"api": {"rest": f"{sandbox.url}/okx"}}, **creds})
    signed = client.sign("account/config", ["private"], "GET", {})
    return signed["url"], dict(signed["headers"])


@pytest.mark.parametrize("header", sorted(MISSING_HEADER_ERRORS))
def test_each_missing_header_has_its_code(sandbox: SandboxServer, credentials: dict[str, str], header: str) -> None:
    url, headers = _signed(sandbox, credentials)
    del headers[header]
    resp = requests.get(url, headers=headers, timeout=30)
    assert resp.status_code == 401
    assert resp.json() == {
        "code": MISSING_HEADER_ERRORS[header].code,
        "msg": MISSING_HEADER_ERRORS[header].msg,
        "data": [],
    }


@pytest.mark.parametrize("timestamp", ["1607418537715", "2020-12-08 09:08:57", "2020-13-45T09:08:57.715Z"])
def test_malformed_timestamp_is_50112(sandbox: SandboxServer, credentials: dict[str, str], timestamp: str) -> None:
    url, headers = _signed(sandbox, credentials)
    headers["OK-ACCESS-TIMESTAMP"] = timestamp
    resp = requests.get(url, headers=headers, timeout=30)
    assert (resp.status_code, resp.json()["code"]) == (401, "50112")


def test_stale_timestamp_is_50102(okx: DriverFactory, credentials: dict[str, str]) -> None:
    client = okx(credentials)
    client.client.options["timeDifference"] = 31_000  # ccxt signs with a clock 31 s behind
    with pytest.raises(ccxt.InvalidNonce) as raised:
        client.fetch_balance()
    assert _code_of(raised.value) == "50102"


def test_a_request_signed_with_a_changed_body_is_refused(sandbox: SandboxServer, credentials: dict[str, str]) -> None:
    client = ccxt.okx({"urls": {"api": {"rest": f"{sandbox.url}/okx"}}, **credentials})
    body = {"ccy": "USDT", "amt": "1", "from": "6", "to": "18", "type": "0"}
    signed = client.sign("asset/transfer", ["private"], "POST", body)
    tampered = signed["body"].replace('"amt":"1"', '"amt":"100"')
    resp = requests.post(signed["url"], data=tampered, headers=signed["headers"], timeout=30)
    assert resp.json()["code"] == "50113"


def test_every_error_kind_has_an_okx_row() -> None:
    assert set(ERRORS) == set(ErrorKind)
    for kind, row in ERRORS.items():
        assert re.fullmatch(r"5\d{4}", row.code), kind
        assert row.http in (200, 400, 401, 403, 410, 429, 500, 503), kind
        assert row.msg, kind


def test_unknown_keys_never_echo_secrets(okx: DriverFactory, credentials: dict[str, str]) -> None:
    with pytest.raises(ccxt.AuthenticationError) as raised:
        okx({**credentials, "password": "wrong"}).fetch_balance()
    assert credentials["secret"] not in str(raised.value)
    assert credentials["password"] not in str(raised.value)
    assert uuid.UUID(credentials["apiKey"])  # key ids are UUIDs, as OKX issues them
    assert re.fullmatch(r"[0-9A-F]{32}", credentials["secret"])


def test_unknown_paths_answer_in_okx_envelope(sandbox: SandboxServer) -> None:
    resp = requests.get(f"{sandbox.url}/okx/api/v5/no/such/endpoint", timeout=30)
    assert resp.status_code == 410
    assert resp.json()["code"] == "50005"
