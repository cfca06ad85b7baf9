"""The sandbox's OKX signature and timestamp rules against the reference values and against ccxt."""

from __future__ import annotations

import ccxt
import pytest

from tradebind.sandbox.core import ErrorKind, SandboxError
from tradebind.sandbox.protocols.okx_auth import check_timestamp, parse_timestamp, sign

SECRET = "22582BD0CFF14C41EDBF1AB98506286D"  # OKX docs' example SecretKey


@pytest.mark.parametrize(
    ("prehash", "signature"),
    [
        # Recomputed from OKX's documented example inputs (shared/reference/exchanges.md §2.1).
        ("2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC", "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="),
        (
            '2020-12-08T09:08:57.715ZPOST/api/v5/account/set-leverage{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}',
            "eCnnCgWLjlQ9XnpUkrcny3qNq3WW/81KNrDr/XR6Xv8=",
        ),
    ],
)
def test_signature_matches_the_reference_vectors(prehash: str, signature: str) -> None:
    assert sign(SECRET, prehash) == signature


def test_signature_matches_what_ccxt_sends() -> None:
    client = ccxt.okx({"apiKey": "k", "secret": SECRET, "password": "p"})
    signed = client.sign("account/balance", ["private"], "GET", {"ccy": "BTC"})
    headers = signed["headers"]
    prehash = headers["OK-ACCESS-TIMESTAMP"] + "GET" + "/api/v5/account/balance?ccy=BTC"
    assert headers["OK-ACCESS-SIGN"] == sign(SECRET, prehash)


def test_timestamp_is_iso8601_utc_with_milliseconds() -> None:
    assert parse_timestamp("2020-12-08T09:08:57.715Z") == 1_607_418_537_715
    with pytest.raises(SandboxError) as raised:
        parse_timestamp("2020-12-08T09:08:57Z")
    assert raised.value.kind is ErrorKind.BAD_TIMESTAMP


OKX_DOC_TIME = "2020-12-08T09:08:57.715Z"  # 1_607_418_537_715 ms


@pytest.mark.parametrize("offset_ms", [-30_000, -1, 0, 1, 30_000])
def test_timestamps_within_30_seconds_either_way_pass(offset_ms: int) -> None:
    # The server's clock differs from the request's by offset_ms; OKX allows 30 s each way.
    check_timestamp(OKX_DOC_TIME, 1_607_418_537_715 + offset_ms)


@pytest.mark.parametrize("offset_ms", [-30_001, 30_001, -600_000, 600_000])
def test_timestamps_beyond_30_seconds_either_way_expire(offset_ms: int) -> None:
    with pytest.raises(SandboxError) as raised:
        check_timestamp(OKX_DOC_TIME, 1_607_418_537_715 + offset_ms)
    assert raised.value.kind is ErrorKind.TIMESTAMP_OUT_OF_WINDOW
