"""Binance's error envelope: every core :class:`ErrorKind` rendered as ``{"code", "msg"}`` + HTTP status.

Codes and messages are Binance's own (spot errors.md and the USDⓈ-M error-code page, quoted in
shared/reference/exchanges.md §1.4; futures-only codes as ccxt's binance.py comments quote them).
Where spot and USDⓈ-M futures differ, the row has a futures variant. Binance does not say which of
key, IP or permission failed: all of them are -2015 (on /fapi with the request IP appended).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..core import ErrorKind, SandboxError


class Api(enum.Enum):
    """Binance's API families; each has its own weight limits and some its own error codes."""

    SPOT = "api"
    SAPI = "sapi"
    FAPI = "fapi"
    DAPI = "dapi"

    @property
    def is_futures(self) -> bool:
        return self in (Api.FAPI, Api.DAPI)


class BinanceError(Exception):
    """A fully rendered Binance error: HTTP status, numeric code and message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"{code} {msg}")
        self.status, self.code, self.msg = status, code, msg

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


@dataclass(frozen=True, slots=True)
class Row:
    status: int
    code: int
    msg: str  # may use {detail}, {ip}
    futures: tuple[int, int, str] | None = None
    sapi: tuple[int, int, str] | None = None


_AUTH = Row(401, -2015, "Invalid API-key, IP, or permissions for action.",
            futures=(401, -2015, "Invalid API-key, IP, or permissions for action, request ip: {ip}"))  # fmt: skip
_TOO_MUCH_WEIGHT = (
    "Too much request weight used; current limit is {detail} request weight per 1 MINUTE. "
    "Please use WebSocket Streams for live updates to avoid polling the API."
)
_BANNED = (
    "Way too much request weight used; IP banned until {detail}. "
    "Please use WebSocket Streams for live updates to avoid bans."
)

# One row per core ErrorKind (tests walk the enum against this table).
TABLE: dict[ErrorKind, Row] = {
    ErrorKind.MISSING_KEY: Row(401, -2014, "API-key format invalid."),
    ErrorKind.BAD_KEY_FORMAT: Row(401, -2014, "API-key format invalid."),
    ErrorKind.UNKNOWN_KEY: _AUTH,
    ErrorKind.KEY_EXPIRED: _AUTH,
    ErrorKind.WRONG_ENVIRONMENT: _AUTH,
    ErrorKind.IP_NOT_ALLOWED: _AUTH,
    ErrorKind.BAD_PASSPHRASE: _AUTH,
    ErrorKind.PERMISSION_DENIED: _AUTH,
    ErrorKind.BAD_SIGNATURE: Row(400, -1022, "Signature for this request is not valid."),
    ErrorKind.BAD_TIMESTAMP: Row(
        400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
    ),
    # detail "ahead" or "window" (binance_signing.check_timing)
    ErrorKind.TIMESTAMP_OUT_OF_WINDOW: Row(400, -1021, "{timing}"),
    ErrorKind.ACCOUNT_RESTRICTED: Row(400, -2010, "This action is disabled on this account."),
    # exchanges.md §1.4 "frozen" row: Binance names a frozen account with this same message. The
    # pipeline never raises it (reads of a frozen account answer, with canTrade false; orders
    # and cancels get ACCOUNT_RESTRICTED); the row is here so the rendering is defined.
    ErrorKind.ACCOUNT_FROZEN: Row(400, -2010, "This action is disabled on this account."),
    ErrorKind.RATE_LIMITED: Row(429, -1003, _TOO_MUCH_WEIGHT),
    ErrorKind.IP_BANNED: Row(418, -1003, _BANNED),
    # detail "<limit> orders per <interval>", e.g. "50 orders per 10 SECOND"
    ErrorKind.ORDER_RATE_LIMITED: Row(429, -1015, "Too many new orders; current limit is {detail}."),
    ErrorKind.MAINTENANCE: Row(503, 1, "System is under maintenance."),
    ErrorKind.UNKNOWN_EXECUTION: Row(
        503, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
    ),
    # detail: the parameter's name
    ErrorKind.BAD_PARAMETER: Row(
        400, -1102, "Mandatory parameter '{detail}' was not sent, was empty/null, or malformed."
    ),
    ErrorKind.UNKNOWN_SYMBOL: Row(400, -1121, "Invalid symbol."),
    # detail: the failing filter, "LOT_SIZE" / "PRICE_FILTER" / "NOTIONAL:<min>"
    ErrorKind.FILTER_FAILURE: Row(400, -1013, "Filter failure: {filter}"),
    ErrorKind.INSUFFICIENT_BALANCE: Row(
        400, -2010, "Account has insufficient balance for requested action.",
        futures=(400, -2019, "Margin is insufficient."),
        sapi=(400, -5002, "You have insufficient balance."),
    ),
    ErrorKind.DUPLICATE_CLIENT_ORDER_ID: Row(
        400, -2010, "Duplicate order sent.", futures=(400, -4116, "ClientOrderId is duplicated.")
    ),
    ErrorKind.ORDER_NOT_FOUND: Row(400, -2013, "Order does not exist."),
    ErrorKind.CANCEL_REJECTED: Row(400, -2011, "Unknown order sent."),
    ErrorKind.REDUCE_ONLY_REJECTED: Row(400, -2022, "ReduceOnly Order is rejected."),
    ErrorKind.NOT_FOUND: Row(400, -1099, "Not found, authenticated, or authorized"),
}  # fmt: skip

_TIMING = {
    "ahead": "Timestamp for this request was 1000ms ahead of the server's time.",
    "window": "Timestamp for this request is outside of the recvWindow.",
}

# USDⓈ-M rejects filter failures with their own codes (ccxt binance.py linear exceptions).
_FUTURES_FILTERS = {
    "LOT_SIZE": (400, -1111, "Precision is over the maximum defined for this asset."),
    "PRICE_FILTER": (400, -4014, "Price not increased by tick size."),
    "NOTIONAL": (400, -4164, "Order's notional must be no smaller than {min} (unless you choose reduce only)."),
}


def render(error: SandboxError, api: Api, ip: str, *, cancel: bool = False) -> BinanceError:
    """The Binance error for a core failure on ``api`` seen from ``ip``.

    ``cancel``: the failure happened on a cancel request, where Binance answers -2011 instead of
    the -2010 of a new order.
    """
    row = TABLE[error.kind]
    status, code, msg = row.status, row.code, row.msg
    if api.is_futures and row.futures is not None:
        status, code, msg = row.futures
    elif api is Api.SAPI and row.sapi is not None:
        status, code, msg = row.sapi
    filter_name, _, filter_value = error.detail.partition(":")
    if error.kind is ErrorKind.FILTER_FAILURE and api.is_futures and filter_name in _FUTURES_FILTERS:
        status, code, msg = _FUTURES_FILTERS[filter_name]
    if error.kind is ErrorKind.BAD_PARAMETER and error.detail == "recvWindow":
        status, code, msg = 400, -1131, "recvWindow must be less than 60000"
    if cancel and code == -2010:
        code = -2011
    return BinanceError(
        status,
        code,
        msg.format(
            detail=error.detail,
            ip=ip,
            timing=_TIMING.get(error.detail, _TIMING["window"]),
            filter=filter_name,
            min=filter_value,
        ),
    )


def illegal_characters(name: str, legal: str) -> BinanceError:
    """-1100 for a parameter whose value breaks its pattern."""
    return BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'.")


def invalid_client_order_id() -> BinanceError:
    """USDⓈ-M's -4015 for a ``newClientOrderId`` breaking ``^[\\.A-Z\\:/a-z0-9_-]{1,36}$``."""
    return BinanceError(400, -4015, "Client order id is not valid.")


def bad_value(name: str) -> BinanceError:
    """-1102 for a parameter that is missing or cannot be read."""
    return BinanceError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
