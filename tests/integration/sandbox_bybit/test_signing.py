"""Bybit's signing rule, exercised by hand (no ccxt): the HMAC recipe and the time window."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import orjson
import pytest
import requests

from tests.integration.sandbox_bybit.conftest import BybitDesk


def _signed(
    desk: BybitDesk,
    creds: dict[str, str],
    method: str,
    path: str,
    params: dict[str, str],
    *,
    ts_offset_ms: int = 0,
    recv_window: int = 5000,
) -> dict[str, Any]:
    """Send one request signed per docs/v5/guide.mdx: hex HMAC-SHA256 of ts + key + recv_window + payload."""
    ts = str(int(time.time() * 1000) + ts_offset_ms)
    if method == "GET":
        payload = "&".join(f"{k}={v}" for k, v in params.items())
        body = None
    else:
        payload = orjson.dumps(params).decode()
        body = payload
    sign = hmac.new(
        creds["secret"].encode(), f"{ts}{creds['apiKey']}{recv_window}{payload}".encode(), hashlib.sha256
    ).hexdigest()
    headers = {
        "X-BAPI-API-KEY": creds["apiKey"],
        "X-BAPI-SIGN": sign,
        "X-BAPI-TIMESTAMP": ts,
        "X-BAPI-RECV-WINDOW": str(recv_window),
        "Content-Type": "application/json",
    }
    url = f"{desk.url}/bybit{path}" + (f"?{payload}" if method == "GET" and payload else "")
    resp = requests.request(method, url, data=body, headers=headers, timeout=10)
    return resp.json()  # type: ignore[no-any-return]


@pytest.fixture
def creds(desk: BybitDesk) -> dict[str, str]:
    desk.control.deposit("bybit", desk.account, "unified", "USDT", "42")
    return desk.key()


def test_hand_signed_get_is_accepted(desk: BybitDesk, creds: dict[str, str]) -> None:
    answer = _signed(desk, creds, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED", "coin": "USDT"})
    assert answer["retCode"] == 0
    assert answer["result"]["list"][0]["coin"][0]["walletBalance"] == "42"


def test_hand_signed_post_is_accepted(desk: BybitDesk, creds: dict[str, str]) -> None:
    body = {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "3", "sellLeverage": "3"}
    assert _signed(desk, creds, "POST", "/v5/position/set-leverage", body)["retCode"] == 0


def test_signature_covers_the_parameters(desk: BybitDesk, creds: dict[str, str]) -> None:
    params = {"accountType": "UNIFIED"}
    ts = str(int(time.time() * 1000))
    sign = hmac.new(creds["secret"].encode(), f"{ts}{creds['apiKey']}5000accountType=FUND".encode(), hashlib.sha256)
    headers = {"X-BAPI-API-KEY": creds["apiKey"], "X-BAPI-SIGN": sign.hexdigest(), "X-BAPI-TIMESTAMP": ts}
    resp = requests.get(f"{desk.url}/bybit/v5/account/wallet-balance", params=params, headers=headers, timeout=10)
    assert resp.json()["retCode"] == 10004


@pytest.mark.parametrize(
    ("offset_ms", "recv_window", "code"),
    [
        (0, 5000, 0),
        (-3000, 5000, 0),  # inside the window behind the server
        (-7000, 5000, 10002),  # older than recv_window
        (-7000, 10000, 0),  # a wider window accepts it
        (400, 5000, 0),  # slightly ahead is tolerated
        (2500, 5000, 10002),  # "timestamp < server_time + 1000"
    ],
)
def test_time_window(desk: BybitDesk, creds: dict[str, str], offset_ms: int, recv_window: int, code: int) -> None:
    answer = _signed(desk, creds, "GET", "/v5/user/query-api", {}, ts_offset_ms=offset_ms, recv_window=recv_window)
    assert answer["retCode"] == code


def test_malformed_key_is_10003(desk: BybitDesk) -> None:
    answer = _signed(desk, {"apiKey": "not a key!", "secret": "s"}, "GET", "/v5/user/query-api", {})
    assert answer["retCode"] == 10003


def test_non_numeric_timestamp_is_10002(desk: BybitDesk, creds: dict[str, str]) -> None:
    headers = {"X-BAPI-API-KEY": creds["apiKey"], "X-BAPI-SIGN": "00", "X-BAPI-TIMESTAMP": "yesterday"}
    # The signature is checked first, so sign the odd timestamp properly.
    headers["X-BAPI-SIGN"] = hmac.new(
        creds["secret"].encode(), f"yesterday{creds['apiKey']}5000".encode(), hashlib.sha256
    ).hexdigest()
    resp = requests.get(f"{desk.url}/bybit/v5/user/query-api", headers=headers, timeout=10)
    assert resp.json()["retCode"] == 10002


def test_unknown_route_is_404_in_bybit_envelope(desk: BybitDesk) -> None:
    resp = requests.get(f"{desk.url}/bybit/v5/no/such/thing", timeout=10)
    assert resp.status_code == 404
    assert resp.json()["retCode"] == 10001


def test_non_ascii_signature_is_10004_not_a_crash(desk: BybitDesk, creds: dict[str, str]) -> None:
    ts = str(int(time.time() * 1000))
    headers = {"X-BAPI-API-KEY": creds["apiKey"], "X-BAPI-SIGN": "ü".encode().decode("latin-1"), "X-BAPI-TIMESTAMP": ts}
    resp = requests.get(f"{desk.url}/bybit/v5/user/query-api", headers=headers, timeout=10)
    assert resp.json()["retCode"] == 10004
