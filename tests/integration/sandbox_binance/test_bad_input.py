"""Whatever a client sends, the sandbox answers in Binance's envelope with a 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.control import Control
from tradebind.sandbox.server import SandboxServer

from .conftest import BinanceDesk, signed

ENDPOINTS = [
    ("POST", "/api/v3/order"),
    ("GET", "/api/v3/order"),
    ("DELETE", "/api/v3/order"),
    ("GET", "/api/v3/myTrades"),
    ("POST", "/fapi/v1/order"),
    ("POST", "/fapi/v1/leverage"),
    ("GET", "/fapi/v3/positionRisk"),
    ("POST", "/sapi/v1/asset/transfer"),
    ("GET", "/sapi/v1/asset/transfer"),
]
NAMES = ["symbol", "side", "type", "quantity", "price", "timeInForce", "newClientOrderId", "orderId",
         "origClientOrderId", "leverage", "reduceOnly", "asset", "amount", "limit", "fromId", "recvWindow",
         "newOrderRespType", "startTime"]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(["BTCUSDT", "BUY", "SELL", "LIMIT", "MARKET", "GTC", "0", "-1", "1e5", "NaN", "0.001",
                     "60000", "99999999999999999999999", "MAIN_UMFUTURE", "USDT", "true", "", "x" * 40]),
    st.text(max_size=12),
)  # fmt: skip


@pytest.fixture(scope="module")
def funded() -> Iterator[tuple[BinanceDesk, dict[str, str]]]:
    with SandboxServer(seed=5) as server:
        control = Control(server.url)
        desk = BinanceDesk(server.url, control, "fuzz", "sync")
        control.deposit("binance", "fuzz", "spot", "USDT", "1000")
        control.deposit("binance", "fuzz", "futures", "USDT", "1000")
        yield desk, desk.key()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(ENDPOINTS), params=st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8))
def test_random_params_get_a_binance_error_or_a_result(
    funded: tuple[BinanceDesk, dict[str, str]], endpoint: tuple[str, str], params: dict[str, str]
) -> None:
    desk, creds = funded
    method, path = endpoint
    resp = signed(desk, method, path, params, creds)
    assert resp.status_code < 500, resp.text
    body = resp.json()
    if resp.status_code >= 400:
        assert set(body) == {"code", "msg"}
        assert isinstance(body["code"], int)
        assert body["msg"]


def test_an_unsigned_garbage_request_is_a_binance_error(funded: tuple[BinanceDesk, dict[str, str]]) -> None:
    desk, _ = funded
    resp = requests.post(f"{desk.url}/binance/api/v3/order", data=b"\xff\xfe%%%", timeout=30,
                         headers={"X-MBX-APIKEY": "k" * 64})  # fmt: skip
    assert resp.status_code == 401
    assert resp.json()["code"] == -2015
