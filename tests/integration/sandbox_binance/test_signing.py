"""Binance's signing and timing rules as pure functions, checked against the official vectors."""

from __future__ import annotations

import pytest

from tradebind.sandbox.core import ErrorKind, SandboxError
from tradebind.sandbox.protocols.binance_signing import (
    check_timing,
    hmac_signature,
    parse_signed,
    signature_matches,
)

SPOT_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
FUTURES_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
SPOT_A = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)


# Official vectors, shared/reference/exchanges.md §1.1.1: (query, body, secret, signature).
VECTORS = {
    "spot A, all in the query": (SPOT_A, "", SPOT_SECRET,
                                 "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"),
    "spot A, all in the body": ("", SPOT_A, SPOT_SECRET,
                                "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"),
    "spot B, non-ASCII symbol percent-encoded": (
        "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC"
        "&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559", "", SPOT_SECRET,
        "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"),
    "spot, mixed query and body": (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
        "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559", SPOT_SECRET,
        "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"),
    "USDⓈ-M futures": (
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000"
        "&timestamp=1591702613943", "", FUTURES_SECRET,
        "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"),
}  # fmt: skip


@pytest.mark.parametrize(("query", "body", "secret", "expected"), VECTORS.values(), ids=VECTORS.keys())
def test_official_vectors_verify_with_the_signature_wherever_it_was_sent(
    query: str, body: str, secret: str, expected: str
) -> None:
    sig_in_query = (f"{query}&signature={expected}" if query else f"signature={expected}", body)
    sig_in_body = (query, f"{body}&signature={expected}" if body else f"signature={expected}")
    for raw_query, raw_body in (sig_in_query, sig_in_body):
        req = parse_signed(raw_query, raw_body)
        assert req.signature == expected
        assert hmac_signature(secret, req.payload) == expected
        assert signature_matches(secret, req.payload, expected.upper())  # HMAC hex is not case-sensitive


def test_a_changed_byte_or_the_wrong_secret_fails() -> None:
    sig = VECTORS["spot A, all in the query"][3]
    assert not signature_matches(SPOT_SECRET, SPOT_A.replace("quantity=1", "quantity=2"), sig)
    assert not signature_matches(FUTURES_SECRET, SPOT_A, sig)
    # The mixed form joins query and body without "&": the "&"-joined string is a different payload.
    mixed = parse_signed("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC", "quantity=1&price=0.1")
    assert mixed.payload == "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1"


def test_query_string_value_wins_over_the_body() -> None:
    req = parse_signed("symbol=BTCUSDT&price=1", "price=2&quantity=3")
    assert req.params == {"symbol": "BTCUSDT", "price": "1", "quantity": "3"}


NOW = 1_700_000_000_000


@pytest.mark.parametrize(
    ("params", "kind", "detail"),
    [
        ({}, ErrorKind.BAD_TIMESTAMP, "timestamp"),
        ({"timestamp": "abc"}, ErrorKind.BAD_PARAMETER, "timestamp"),
        ({"timestamp": str(NOW + 1000)}, ErrorKind.TIMESTAMP_OUT_OF_WINDOW, "ahead"),
        ({"timestamp": str(NOW - 5001)}, ErrorKind.TIMESTAMP_OUT_OF_WINDOW, "window"),
        ({"timestamp": str(NOW - 10_001), "recvWindow": "10000"}, ErrorKind.TIMESTAMP_OUT_OF_WINDOW, "window"),
        ({"timestamp": str(NOW), "recvWindow": "60001"}, ErrorKind.BAD_PARAMETER, "recvWindow"),
    ],
)
def test_timing_security_rejects(params: dict[str, str], kind: ErrorKind, detail: str) -> None:
    with pytest.raises(SandboxError) as caught:
        check_timing(params, NOW)
    assert (caught.value.kind, caught.value.detail) == (kind, detail)


@pytest.mark.parametrize(
    "params",
    [
        {"timestamp": str(NOW + 999)},
        {"timestamp": str(NOW - 5000)},
        {"timestamp": str(NOW - 60_000), "recvWindow": "60000"},
        {"timestamp": str((NOW - 100) * 1000)},  # spot also takes microseconds
        {"timestamp": str(NOW - 6000), "recvWindow": "6000.346"},  # and fractional recvWindow
    ],
)
def test_timing_security_accepts(params: dict[str, str]) -> None:
    check_timing(params, NOW)
