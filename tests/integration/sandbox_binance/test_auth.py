"""Keys, signatures, IP lists, permissions and clocks as an unmodified ccxt client meets them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ccxt
import pytest
import requests

from .conftest import BinanceDesk, binance_error, signed

SOME_KEY = "A" * 64


def test_a_malformed_key_is_minus_2014(desk: BinanceDesk) -> None:
    client = desk.client({"apiKey": "not-a-binance-key", "secret": "s"})
    with pytest.raises(ccxt.AuthenticationError) as caught:
        client.fetch_balance()
    assert binance_error(caught.value) == {"code": -2014, "msg": "API-key format invalid."}


@pytest.mark.parametrize("call", ["spot", "futures"])
def test_an_unknown_key_is_minus_2015(desk: BinanceDesk, call: str) -> None:
    client = desk.client({"apiKey": SOME_KEY, "secret": "s"})
    with pytest.raises(ccxt.AuthenticationError) as caught:
        client.fetch_balance({"type": "swap"} if call == "futures" else {})
    body = binance_error(caught.value)
    assert body["code"] == -2015
    assert body["msg"].startswith("Invalid API-key, IP, or permissions for action")


def test_the_wrong_secret_is_a_bad_signature(desk: BinanceDesk) -> None:
    creds = desk.key()
    client = desk.client({**creds, "secret": creds["secret"][::-1]})
    with pytest.raises(ccxt.AuthenticationError) as caught:
        client.fetch_balance()
    assert binance_error(caught.value) == {"code": -1022, "msg": "Signature for this request is not valid."}


def test_a_request_without_signature_is_refused(desk: BinanceDesk) -> None:
    creds = desk.key()
    resp = requests.get(f"{desk.url}/binance/api/v3/account?timestamp=1", headers={"X-MBX-APIKEY": creds["apiKey"]},
                        timeout=30)  # fmt: skip
    assert resp.status_code == 400
    assert resp.json()["code"] == -1102
    assert "'signature'" in resp.json()["msg"]


def test_ip_allow_list_follows_the_client_address(desk: BinanceDesk) -> None:
    desk.control.deposit("binance", desk.account, "spot", "USDT", "5")
    creds = desk.key(["read"], ips=["127.0.0.2/32"])
    allowed = desk.client(creds, source_ip="127.0.0.2")
    assert allowed.fetch_balance()["USDT"]["free"] == 5
    refused = desk.client(creds, source_ip="127.0.0.1")
    with pytest.raises(ccxt.AuthenticationError) as caught:
        refused.fetch_balance()
    assert binance_error(caught.value)["code"] == -2015
    # On /fapi Binance names the address it saw.
    refused_futures = desk.client(creds, source_ip="127.0.0.1")
    with pytest.raises(ccxt.AuthenticationError) as caught:
        refused_futures.fapiprivatev3_get_account()
    assert binance_error(caught.value)["msg"].endswith("request ip: 127.0.0.1")


def test_an_expired_key_is_minus_2015(desk: BinanceDesk) -> None:
    creds = desk.key(expires_at=(datetime.now(UTC) - timedelta(minutes=1)).isoformat())
    with pytest.raises(ccxt.AuthenticationError) as caught:
        desk.client(creds).fetch_balance()
    assert binance_error(caught.value)["code"] == -2015


def test_every_key_reads_even_without_the_read_permission(desk: BinanceDesk) -> None:
    # Binance keys always have "Enable Reading"; the sandbox grants reads to every key.
    desk.control.deposit("binance", desk.account, "spot", "BTC", "1")
    client = desk.client(desk.key([]))
    assert client.fetch_balance()["BTC"]["total"] == 1
    assert client.sapi_get_account_apirestrictions()["enableReading"] is True


@pytest.mark.parametrize(
    ("permissions", "attempt"),
    [
        (["read"], "spot_order"),
        (["read", "futures", "universal_transfer"], "spot_order"),
        (["read", "spot"], "futures_order"),
        (["read", "spot"], "leverage"),
        (["read", "spot", "futures"], "transfer"),
    ],
)
def test_missing_permission_is_minus_2015(desk: BinanceDesk, permissions: list[str], attempt: str) -> None:
    desk.control.deposit("binance", desk.account, "spot", "USDT", "1000")
    desk.control.deposit("binance", desk.account, "futures", "USDT", "1000")
    client = desk.client(desk.key(permissions))
    client.load_markets()
    actions = {
        "spot_order": lambda: client.create_order("BTC/USDT", "limit", "buy", 0.001, 1000),
        "futures_order": lambda: client.create_order("BTC/USDT:USDT", "limit", "buy", 0.01, 20000),
        "leverage": lambda: client.set_leverage(3, "BTC/USDT:USDT"),
        "transfer": lambda: client.transfer("USDT", 1, "spot", "swap"),
    }
    with pytest.raises(ccxt.AuthenticationError) as caught:
        actions[attempt]()
    assert binance_error(caught.value)["code"] == -2015
    assert desk.control.orders("binance", desk.account) == []


def test_api_restrictions_describe_the_key(desk: BinanceDesk) -> None:
    expiry = datetime.now(UTC) + timedelta(days=30)
    before_ms = int(datetime.now(UTC).timestamp() * 1000)
    creds = desk.key(["read", "futures", "universal_transfer"], ips=["127.0.0.0/8"], expires_at=expiry.isoformat())
    flags = desk.client(creds).sapi_get_account_apirestrictions()
    assert flags["ipRestrict"] is True
    assert flags["enableReading"] is True
    assert flags["enableFutures"] is True
    assert flags["permitsUniversalTransfer"] is True
    assert flags["enableSpotAndMarginTrading"] is False
    assert flags["enableWithdrawals"] is False
    assert flags["enableInternalTransfer"] is False
    assert flags["enableMargin"] is False
    assert flags["createTime"] >= before_ms - 1000
    assert flags["tradingAuthorityExpirationTime"] == int(expiry.timestamp() * 1000)
    plain = desk.client(desk.key(["read"])).sapi_get_account_apirestrictions()
    assert plain["ipRestrict"] is False
    assert "tradingAuthorityExpirationTime" not in plain


@pytest.mark.parametrize(
    ("offset_ms", "message"),
    [
        (-15_000, "Timestamp for this request was 1000ms ahead of the server's time."),
        (15_000, "Timestamp for this request is outside of the recvWindow."),
    ],
)
def test_clock_offset_gives_minus_1021_until_the_client_syncs(
    fresh_desk: BinanceDesk, offset_ms: int, message: str
) -> None:
    fresh_desk.control.deposit("binance", fresh_desk.account, "spot", "USDT", "7")
    creds = fresh_desk.key()
    fresh_desk.fault("clock_offset", ms=offset_ms)
    naive = fresh_desk.client(creds)
    with pytest.raises(ccxt.InvalidNonce) as caught:
        naive.fetch_balance()
    assert binance_error(caught.value) == {"code": -1021, "msg": message}
    synced = fresh_desk.client(creds)
    synced.load_time_difference()
    assert synced.fetch_balance()["USDT"]["free"] == 7


def test_recv_window_above_60000_is_refused(desk: BinanceDesk) -> None:
    client = desk.client(desk.key())
    with pytest.raises(ccxt.ExchangeError) as caught:
        client.fetch_balance({"recvWindow": 60001})
    assert binance_error(caught.value) == {"code": -1131, "msg": "recvWindow must be less than 60000"}


def test_hand_signed_request_with_body_params_verifies(desk: BinanceDesk) -> None:
    creds = desk.key()
    resp = signed(desk, "GET", "/api/v3/account", {"omitZeroBalances": "true"}, creds)
    assert resp.status_code == 200, resp.text
    assert resp.json()["balances"] == []
