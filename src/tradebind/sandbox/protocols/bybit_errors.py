"""Bybit v5's error table: every neutral :class:`ErrorKind` as Bybit reports it.

Codes and messages come from Bybit's error page (docs/v5/error.mdx, exchanges.md §3.4) and, where
the docs give no text, from real responses quoted in ccxt's bybit.py (cited per row). Bybit answers
almost every failure with HTTP 200 and a non-zero ``retCode`` in its envelope; the exceptions are
missing auth headers (401) and the per-IP limit (403 with a bare body, which ccxt maps through
``httpExceptions['403']`` to ``RateLimitExceeded``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import ErrorKind


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """How one kind renders: HTTP status, retCode, retMsg; ``spot_code`` where spot differs."""

    status: int
    code: int
    message: str
    spot_code: int | None = None


_SIGN_PARAMS = "empty value: apiTimestamp[] apiKey[] apiSignature[]: openapi sign params error!"
_BAD_KEY = (
    "API key is invalid. Check whether the key and domain are matched, "
    "there are 4 env: mainnet, testnet, mainnet-demo, testnet-demo"
)
_TIME_WINDOW = "invalid request, please check your server timestamp or recv_window param"

ERRORS: dict[ErrorKind, ErrorRow] = {
    # ccxt bybit.py 'broad': {"retCode":10001,"retMsg":"empty value: apiTimestamp[] apiKey[] ..."}
    ErrorKind.MISSING_KEY: ErrorRow(401, 10001, _SIGN_PARAMS),
    ErrorKind.BAD_KEY_FORMAT: ErrorRow(200, 10003, "API key is invalid."),
    ErrorKind.UNKNOWN_KEY: ErrorRow(200, 10003, _BAD_KEY),
    ErrorKind.WRONG_ENVIRONMENT: ErrorRow(200, 10003, _BAD_KEY),
    # 33004 "(Derivatives) Your api key has expired", -2015 "(Spot) Your api key has expired"
    ErrorKind.KEY_EXPIRED: ErrorRow(200, 33004, "Your api key has expired.", spot_code=-2015),
    ErrorKind.IP_NOT_ALLOWED: ErrorRow(200, 10010, "Unmatched IP, please check your API key's bound IP addresses."),
    # Bybit keys have no passphrase; a passphrase failure cannot happen, so it reads as a bad key.
    ErrorKind.BAD_PASSPHRASE: ErrorRow(200, 10003, "API key is invalid."),
    ErrorKind.BAD_SIGNATURE: ErrorRow(200, 10004, "Error sign, please check your signature generation algorithm."),
    ErrorKind.BAD_TIMESTAMP: ErrorRow(200, 10002, _TIME_WINDOW),
    ErrorKind.TIMESTAMP_OUT_OF_WINDOW: ErrorRow(200, 10002, _TIME_WINDOW),
    ErrorKind.PERMISSION_DENIED: ErrorRow(200, 10005, "Permission denied, please check your API key permissions."),
    ErrorKind.ACCOUNT_RESTRICTED: ErrorRow(200, 10027, "Transactions are banned."),
    # Every private call of a frozen account (exchanges.md §3.4; ccxt maps 10008 to AccountSuspended).
    ErrorKind.ACCOUNT_FROZEN: ErrorRow(200, 10008, "Common banned, please check your account mode"),
    ErrorKind.RATE_LIMITED: ErrorRow(200, 10006, "Too many visits. Exceeded the API Rate Limit."),
    ErrorKind.IP_BANNED: ErrorRow(403, 403, "access too frequent"),
    ErrorKind.ORDER_RATE_LIMITED: ErrorRow(200, 10006, "Too many visits. Exceeded the API Rate Limit."),
    # ccxt bybit.py: {"retCode":10016,"retMsg":"System error. Please try again later."}
    ErrorKind.MAINTENANCE: ErrorRow(503, 10016, "System error. Please try again later."),
    # ccxt bybit.py 'broad' (-> RequestTimeout): {"retCode":10016,"retMsg":"Request timeout, please try again later"}
    ErrorKind.UNKNOWN_EXECUTION: ErrorRow(200, 10016, "Request timeout, please try again later"),
    ErrorKind.BAD_PARAMETER: ErrorRow(200, 10001, "Request parameter error."),
    # ccxt bybit.py 'broad' (-> BadSymbol): {"retCode":10001,"retMsg":"Not supported symbols"}
    ErrorKind.UNKNOWN_SYMBOL: ErrorRow(200, 10001, "Not supported symbols"),
    ErrorKind.FILTER_FAILURE: ErrorRow(200, 10001, "The order does not meet the instrument's limits."),
    # 110007 "ab not enough for new order" (ccxt bybit.py); spot: 170131 "Insufficient balance."
    ErrorKind.INSUFFICIENT_BALANCE: ErrorRow(200, 110007, "ab not enough for new order", spot_code=170131),
    ErrorKind.DUPLICATE_CLIENT_ORDER_ID: ErrorRow(200, 110072, "OrderLinkedID is duplicate"),
    ErrorKind.ORDER_NOT_FOUND: ErrorRow(200, 110001, "Order does not exist"),
    ErrorKind.CANCEL_REJECTED: ErrorRow(200, 110001, "order not exists or too late to cancel"),
    ErrorKind.REDUCE_ONLY_REJECTED: ErrorRow(200, 110017, "current position is zero, cannot fix reduce-only order qty"),
    ErrorKind.NOT_FOUND: ErrorRow(404, 10001, "Route not found"),
}  # fmt: skip

# The core names the filter that refused an order; say it with Bybit's field names.
FILTERS = {
    "LOT_SIZE": "qty is outside minOrderQty..maxOrderQty or not a multiple of the qty step",
    "PRICE_FILTER": "price is not a multiple of tickSize",
    "NOTIONAL": "order value is below minOrderAmt (spot) / minNotionalValue (linear)",
}
# Spot's own wording where its code differs.
SPOT_MESSAGES = {-2015: "Your api key has expired.", 170131: "Insufficient balance."}


def describe(kind: ErrorKind, detail: str, *, spot: bool) -> tuple[int, int, str]:
    """(HTTP status, retCode, retMsg) of ``kind``; ``spot`` picks the spot code where it differs."""
    row = ERRORS[kind]
    code = row.spot_code if spot and row.spot_code is not None else row.code
    message = SPOT_MESSAGES.get(code, row.message)
    if kind is ErrorKind.FILTER_FAILURE:
        detail = FILTERS.get(detail, detail)
    if detail and kind in (ErrorKind.BAD_PARAMETER, ErrorKind.FILTER_FAILURE, ErrorKind.TIMESTAMP_OUT_OF_WINDOW):
        message = f"{message} {detail}"
    return row.status, code, message
