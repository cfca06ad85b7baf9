"""Classifying what ccxt raises: codes from the body, messages, ccxt classes, network causes."""

from __future__ import annotations

import aiohttp
import ccxt.async_support as ccxt
import pytest

from tradebind.domain.verdicts import Verdict
from tradebind.exchanges.binance import ERRORS as BINANCE
from tradebind.exchanges.bybit import ERRORS as BYBIT
from tradebind.exchanges.okx import ERRORS as OKX

AMBIGUOUS = None


def bn(cls: type[Exception], code: int, msg: str) -> Exception:
    """What ccxt raises for a coded Binance error: ``"binance <body>"``."""
    return cls(f'binance {{"code":{code},"msg":"{msg}"}}')


def ok(cls: type[Exception], code: str, msg: str, items: str = "") -> Exception:
    return cls(f'okx {{"code":"{code}","msg":"{msg}","data":[{items}]}}')


def by(cls: type[Exception], code: int, msg: str) -> Exception:
    return cls(f'bybit {{"retCode":{code},"retMsg":"{msg}","result":{{}}}}')


_2015 = "Invalid API-key, IP, or permissions for action."


@pytest.mark.parametrize(
    ("table", "exc", "verdict", "code"),
    [
        (BINANCE, bn(ccxt.AuthenticationError, -2015, _2015), AMBIGUOUS, "-2015"),
        # ccxt makes a -2015 after a successful private call a DDoSProtection; the code still decides.
        (BINANCE, bn(ccxt.DDoSProtection, -2015, _2015), AMBIGUOUS, "-2015"),
        (BINANCE, bn(ccxt.AuthenticationError, -1022, "Signature is not valid."), Verdict.INVALID_SIGNATURE, "-1022"),
        (BINANCE, bn(ccxt.InvalidNonce, -1021, "Outside of the recvWindow."), Verdict.CLOCK_SKEW, "-1021"),
        (BINANCE, bn(ccxt.DDoSProtection, -1003, "Too much request weight used"), Verdict.RATE_LIMITED, "-1003"),
        # ccxt raises with the message only for its exact-message table.
        (BINANCE, ccxt.OnMaintenance("binance System is under maintenance."), Verdict.EXCHANGE_UNAVAILABLE, None),
        # ccxt 4.5.90 Python looks for "self account"; the real message is matched here.
        (
            BINANCE,
            bn(ccxt.InvalidOrder, -2010, "This action is disabled on this account."),
            Verdict.ACCOUNT_RESTRICTED,
            "-2010",
        ),
        (OKX, ok(ccxt.AuthenticationError, "50105", "PASSPHRASE incorrect."), Verdict.INVALID_PASSPHRASE, "50105"),
        (OKX, ok(ccxt.ExchangeError, "50119", "API key does not exist"), Verdict.KEY_EXPIRED, "50119"),
        (
            OKX,
            ok(
                ccxt.ExchangeError,
                "1",
                "All operations failed",
                '{"sCode":"51024","sMsg":"Trading account is blocked."}',
            ),
            Verdict.ACCOUNT_RESTRICTED,
            "51024",
        ),
        (BYBIT, by(ccxt.AuthenticationError, 10003, "API key is invalid."), Verdict.INVALID_KEY, "10003"),
        (BYBIT, by(ccxt.PermissionDenied, 10010, "Unmatched IP"), Verdict.IP_NOT_ALLOWED, "10010"),
        (BYBIT, by(ccxt.AuthenticationError, 33004, "Your api key has expired."), Verdict.KEY_EXPIRED, "33004"),
    ],
)
def test_codes_and_messages_decide(table, exc, verdict, code):
    failure = table.classify(exc)
    assert (failure.verdict, failure.code) == (verdict, code)
    assert failure.message
    assert "{" not in failure.message


@pytest.mark.parametrize(
    ("exc", "verdict"),
    [
        (ccxt.InvalidNonce("x"), Verdict.CLOCK_SKEW),
        (ccxt.RateLimitExceeded("x"), Verdict.RATE_LIMITED),
        (ccxt.AccountSuspended("x"), Verdict.ACCOUNT_RESTRICTED),
        (ccxt.PermissionDenied("x"), Verdict.MISSING_PERMISSION),
        (ccxt.AuthenticationError("x"), Verdict.INVALID_KEY),
        (ccxt.RequestTimeout("x"), Verdict.NETWORK_ERROR),
        (ccxt.ExchangeNotAvailable("okx GET https://www.okx.com/api/v5/public/time 503"), Verdict.EXCHANGE_UNAVAILABLE),
        (ccxt.ExchangeError("something new"), Verdict.EXCHANGE_UNAVAILABLE),
        (ValueError("not ccxt"), Verdict.NETWORK_ERROR),
    ],
)
def test_unknown_codes_fall_back_to_the_ccxt_class(exc, verdict):
    assert BYBIT.classify(exc).verdict is verdict


def test_a_connection_ccxt_reports_as_unavailable_is_a_network_error():
    # ccxt raises ExchangeNotAvailable for a refused connection, chained from aiohttp's error.
    exc = ccxt.ExchangeNotAvailable("binance GET http://127.0.0.1:1/api/v3/time")
    exc.__cause__ = aiohttp.ClientConnectionError("Cannot connect to host 127.0.0.1:1")
    assert BINANCE.classify(exc).verdict is Verdict.NETWORK_ERROR


V = Verdict
DOCUMENTED = [
    # exchanges.md §7: clock skew, bad signature, invalid key, passphrase, IP, permission, rate limit
    (BINANCE, {"-1021": V.CLOCK_SKEW, "-1022": V.INVALID_SIGNATURE, "-2014": V.INVALID_KEY, "-1003": V.RATE_LIMITED}),
    (OKX, {"50102": V.CLOCK_SKEW, "50113": V.INVALID_SIGNATURE, "50111": V.INVALID_KEY}),
    (OKX, {"50105": V.INVALID_PASSPHRASE, "50110": V.IP_NOT_ALLOWED, "50120": V.MISSING_PERMISSION}),
    (OKX, {"50011": V.RATE_LIMITED, "50101": V.WRONG_ENVIRONMENT, "50001": V.EXCHANGE_UNAVAILABLE}),
    (BYBIT, {"10002": V.CLOCK_SKEW, "10004": V.INVALID_SIGNATURE, "10003": V.INVALID_KEY}),
    (BYBIT, {"10010": V.IP_NOT_ALLOWED, "10005": V.MISSING_PERMISSION, "10006": V.RATE_LIMITED}),
]


@pytest.mark.parametrize(("table", "codes"), DOCUMENTED)
def test_tables_hold_the_documented_codes(table, codes):
    assert {code: table.codes[code] for code in codes} == codes
