"""Every core failure has one Binance rendering, in Binance's envelope, status and code."""

from __future__ import annotations

import pytest

from tradebind.sandbox.core import ErrorKind, SandboxError
from tradebind.sandbox.protocols.binance_errors import TABLE, Api, render


@pytest.mark.parametrize("kind", list(ErrorKind), ids=lambda k: k.value)
@pytest.mark.parametrize("api", list(Api), ids=lambda a: a.value)
def test_every_error_kind_renders_on_every_api(kind: ErrorKind, api: Api) -> None:
    assert kind in TABLE
    error = render(SandboxError(kind, "LOT_SIZE" if kind is ErrorKind.FILTER_FAILURE else "x"), api, "10.0.0.1")
    assert 400 <= error.status <= 599
    assert isinstance(error.code, int)
    assert error.msg
    assert "{" not in error.msg  # every template field was filled
    assert error.body() == {"code": error.code, "msg": error.msg}


EXPECTED = [
    (ErrorKind.BAD_KEY_FORMAT, "", Api.SPOT, 401, -2014, "API-key format invalid."),
    (ErrorKind.UNKNOWN_KEY, "", Api.SPOT, 401, -2015, "Invalid API-key, IP, or permissions for action."),
    (ErrorKind.IP_NOT_ALLOWED, "", Api.SPOT, 401, -2015, "Invalid API-key, IP, or permissions for action."),
    (ErrorKind.PERMISSION_DENIED, "", Api.FAPI, 401, -2015,
     "Invalid API-key, IP, or permissions for action, request ip: 10.0.0.1"),
    (ErrorKind.BAD_SIGNATURE, "", Api.SPOT, 400, -1022, "Signature for this request is not valid."),
    (ErrorKind.TIMESTAMP_OUT_OF_WINDOW, "window", Api.SPOT, 400, -1021,
     "Timestamp for this request is outside of the recvWindow."),
    (ErrorKind.TIMESTAMP_OUT_OF_WINDOW, "ahead", Api.FAPI, 400, -1021,
     "Timestamp for this request was 1000ms ahead of the server's time."),
    (ErrorKind.INSUFFICIENT_BALANCE, "", Api.SPOT, 400, -2010,
     "Account has insufficient balance for requested action."),
    (ErrorKind.INSUFFICIENT_BALANCE, "", Api.FAPI, 400, -2019, "Margin is insufficient."),
    (ErrorKind.DUPLICATE_CLIENT_ORDER_ID, "", Api.SPOT, 400, -2010, "Duplicate order sent."),
    (ErrorKind.DUPLICATE_CLIENT_ORDER_ID, "", Api.FAPI, 400, -4116, "ClientOrderId is duplicated."),
    (ErrorKind.FILTER_FAILURE, "LOT_SIZE", Api.SPOT, 400, -1013, "Filter failure: LOT_SIZE"),
    (ErrorKind.FILTER_FAILURE, "NOTIONAL:100", Api.FAPI, 400, -4164,
     "Order's notional must be no smaller than 100 (unless you choose reduce only)."),
    (ErrorKind.UNKNOWN_SYMBOL, "", Api.SPOT, 400, -1121, "Invalid symbol."),
    (ErrorKind.MAINTENANCE, "", Api.SAPI, 503, 1, "System is under maintenance."),
    (ErrorKind.RATE_LIMITED, "6000", Api.SPOT, 429, -1003,
     "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
     "Please use WebSocket Streams for live updates to avoid polling the API."),
    (ErrorKind.ORDER_RATE_LIMITED, "50 orders per 10 SECOND", Api.SPOT, 429, -1015,
     "Too many new orders; current limit is 50 orders per 10 SECOND."),
    (ErrorKind.ACCOUNT_RESTRICTED, "", Api.SPOT, 400, -2010, "This action is disabled on this account."),
    (ErrorKind.BAD_PARAMETER, "recvWindow", Api.SPOT, 400, -1131, "recvWindow must be less than 60000"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "detail", "api", "status", "code", "msg"), EXPECTED)
def test_binance_wording(kind: ErrorKind, detail: str, api: Api, status: int, code: int, msg: str) -> None:
    error = render(SandboxError(kind, detail), api, "10.0.0.1")
    assert (error.status, error.code, error.msg) == (status, code, msg)


def test_a_refused_cancel_is_minus_2011_not_2010() -> None:
    error = render(SandboxError(ErrorKind.ACCOUNT_RESTRICTED), Api.SPOT, "10.0.0.1", cancel=True)
    assert (error.code, error.msg) == (-2011, "This action is disabled on this account.")
