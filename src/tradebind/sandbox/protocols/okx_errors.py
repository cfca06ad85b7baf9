"""OKX v5 error envelope: every neutral :class:`ErrorKind` as OKX's HTTP status, code and message.

Codes, statuses and messages are OKX's own (shared/reference/exchanges.md §2.4, from
https://www.okx.com/docs-v5/en/#error-code-rest-api-public). The envelope is
``{"code": "<code>", "msg": "<message>", "data": []}``; order endpoints report per item with
``sCode``/``sMsg`` under a top-level ``code`` of ``"1"`` (all failed) or ``"2"`` (partly failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import ErrorKind, SandboxError


@dataclass(frozen=True, slots=True)
class OkxError:
    """One row of OKX's error table."""

    http: int
    code: str
    msg: str


ERRORS: dict[ErrorKind, OkxError] = {
    ErrorKind.MISSING_KEY: OkxError(401, "50103", 'Request header "OK-ACCESS-KEY" cannot be empty.'),
    ErrorKind.BAD_KEY_FORMAT: OkxError(401, "50111", "Invalid OK-ACCESS-KEY."),
    ErrorKind.UNKNOWN_KEY: OkxError(401, "50111", "Invalid OK-ACCESS-KEY."),
    # OKX deletes keys that expire (14 days unused without an IP list); they then "don't exist".
    ErrorKind.KEY_EXPIRED: OkxError(200, "50119", "API key doesn't exist"),
    ErrorKind.WRONG_ENVIRONMENT: OkxError(401, "50101", "APIKey does not match current environment."),
    ErrorKind.IP_NOT_ALLOWED: OkxError(401, "50110", "Your IP {ip} is not included in your API key's IP whitelist."),
    ErrorKind.BAD_PASSPHRASE: OkxError(401, "50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.'),
    ErrorKind.BAD_SIGNATURE: OkxError(401, "50113", "Invalid signature."),
    ErrorKind.BAD_TIMESTAMP: OkxError(401, "50112", "Invalid OK-ACCESS-TIMESTAMP."),
    ErrorKind.TIMESTAMP_OUT_OF_WINDOW: OkxError(401, "50102", "Timestamp request expired."),
    ErrorKind.PERMISSION_DENIED: OkxError(200, "50120", "This API key doesn't have permission to use this function"),
    ErrorKind.ACCOUNT_RESTRICTED: OkxError(200, "51024", "Trading account is blocked."),
    # Every private call of a frozen account (exchanges.md §2.4: 50007 "User blocked.", HTTP 200).
    ErrorKind.ACCOUNT_FROZEN: OkxError(200, "50007", "User blocked."),
    ErrorKind.RATE_LIMITED: OkxError(
        429, "50011", "Rate limit reached. Please refer to API documentation and throttle requests accordingly."
    ),
    ErrorKind.IP_BANNED: OkxError(429, "50011", "Too Many Requests"),
    ErrorKind.ORDER_RATE_LIMITED: OkxError(
        200, "50061", "You've reached the maximum order rate limit for this account."
    ),
    ErrorKind.MAINTENANCE: OkxError(503, "50001", "Service temporarily unavailable. Please try again later."),
    ErrorKind.UNKNOWN_EXECUTION: OkxError(
        400,
        "50004",
        "API endpoint request timeout. (does not mean that the request was successful or failed, "
        "please check the request result)",
    ),
    ErrorKind.BAD_PARAMETER: OkxError(200, "51000", "Parameter {detail} error"),
    ErrorKind.UNKNOWN_SYMBOL: OkxError(200, "51001", "Instrument ID does not exist."),
    ErrorKind.FILTER_FAILURE: OkxError(200, "51121", "Order quantity must be a multiple of the lot size."),
    ErrorKind.INSUFFICIENT_BALANCE: OkxError(200, "51008", "Order failed. Insufficient {detail} balance in account."),
    ErrorKind.DUPLICATE_CLIENT_ORDER_ID: OkxError(200, "51016", "Client order ID already exists."),
    ErrorKind.ORDER_NOT_FOUND: OkxError(200, "51603", "Order does not exist."),
    ErrorKind.CANCEL_REJECTED: OkxError(
        200, "51400", "Order cancellation failed as the order has been filled, canceled or does not exist."
    ),
    ErrorKind.REDUCE_ONLY_REJECTED: OkxError(200, "51205", "Reduce Only is not available."),
    ErrorKind.NOT_FOUND: OkxError(410, "50005", "API endpoint is inactive or unavailable."),
}

# The core reports one FILTER_FAILURE; OKX names the filter that refused the order.
FILTER_ERRORS: dict[str, OkxError] = {
    "LOT_SIZE": ERRORS[ErrorKind.FILTER_FAILURE],
    "PRICE_FILTER": OkxError(200, "51000", "Parameter px error"),
    "NOTIONAL": OkxError(200, "51020", "Order amount should be greater than the min available amount."),
}

# OKX names each missing authentication header with its own code.
MISSING_HEADER_ERRORS: dict[str, OkxError] = {
    "OK-ACCESS-KEY": ERRORS[ErrorKind.MISSING_KEY],
    "OK-ACCESS-PASSPHRASE": OkxError(401, "50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.'),
    "OK-ACCESS-SIGN": OkxError(401, "50106", 'Request header "OK-ACCESS-SIGN" cannot be empty.'),
    "OK-ACCESS-TIMESTAMP": OkxError(401, "50107", 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.'),
}

# Funding transfers refuse a short balance with their own code (ccxt: InsufficientFunds).
TRANSFER_INSUFFICIENT = OkxError(200, "58350", "Insufficient balance.")

# An order whose outcome the server does not know; OKX says so explicitly in the message.
ORDER_TIMED_OUT = OkxError(
    500,
    "51149",
    "Order timed out. Please try again. (does not mean that the request was successful or failed, "
    "please check the request result)",
)


def row_for(error: SandboxError) -> OkxError:
    """The OKX row for a core failure, with the message's placeholders filled in."""
    if error.kind is ErrorKind.FILTER_FAILURE and error.detail in FILTER_ERRORS:
        return FILTER_ERRORS[error.detail]
    if error.kind is ErrorKind.MISSING_KEY and error.detail in MISSING_HEADER_ERRORS:
        return MISSING_HEADER_ERRORS[error.detail]
    row = ERRORS[error.kind]
    if "{" not in row.msg:
        return row
    msg = row.msg.replace("{ip}", error.detail).replace("{detail}", error.detail or "")
    return OkxError(row.http, row.code, msg)


def envelope(row: OkxError, data: list[Any] | None = None) -> dict[str, Any]:
    return {"code": row.code, "msg": row.msg, "data": data if data is not None else []}


def item_failure(row: OkxError, cl_ord_id: str = "", ord_id: str = "", ts: int = 0) -> dict[str, Any]:
    """One failed item of an order endpoint's ``data`` list."""
    return {"clOrdId": cl_ord_id, "ordId": ord_id, "tag": "", "ts": str(ts), "sCode": row.code, "sMsg": row.msg}


def batch_envelope(items: list[dict[str, Any]], *, single: bool) -> dict[str, Any]:
    """Top-level code of an order endpoint: "0" all ok, "1" all failed, "2" some failed."""
    failed = sum(1 for item in items if item.get("sCode") != "0")
    if failed == 0:
        return {"code": "0", "msg": "", "data": items}
    if failed == len(items):
        return {"code": "1", "msg": "Operation failed." if single else "All operations failed", "data": items}
    return {"code": "2", "msg": "Bulk operation partially succeeded", "data": items}
