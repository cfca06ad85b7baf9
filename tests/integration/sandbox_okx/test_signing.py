"""The sandbox's OKX signature and timestamp rules against the reference values and against ccxt."""

from __future__ import annotations

import ccxt
import pytest

from tradebind.sandbox.core import ErrorKind, SandboxError
from tradebind.sandbox.protocols.okx_auth import parse_timestamp, sign

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
