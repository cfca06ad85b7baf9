"""Exchange-neutral failures of the sandbox core.

The core raises :class:`SandboxError` with an :class:`ErrorKind`; each protocol module owns a table
that renders every kind in its exchange's own envelope, HTTP status and code. Adding a kind means
adding a row to every protocol's table (a test walks the enum against each table).
"""

from __future__ import annotations

import enum


class ErrorKind(enum.Enum):
    """What went wrong, in words no exchange uses."""

    # authentication, in the order an exchange checks them
    MISSING_KEY = "missing_key"
    BAD_KEY_FORMAT = "bad_key_format"
    UNKNOWN_KEY = "unknown_key"
    KEY_EXPIRED = "key_expired"
    WRONG_ENVIRONMENT = "wrong_environment"
    IP_NOT_ALLOWED = "ip_not_allowed"
    BAD_PASSPHRASE = "bad_passphrase"
    BAD_SIGNATURE = "bad_signature"
    BAD_TIMESTAMP = "bad_timestamp"
    TIMESTAMP_OUT_OF_WINDOW = "timestamp_out_of_window"
    PERMISSION_DENIED = "permission_denied"
    ACCOUNT_RESTRICTED = "account_restricted"
    # the whole account is frozen (blocked by the exchange): private calls are refused
    ACCOUNT_FROZEN = "account_frozen"
    # limits and availability
    RATE_LIMITED = "rate_limited"
    IP_BANNED = "ip_banned"
    ORDER_RATE_LIMITED = "order_rate_limited"
    MAINTENANCE = "maintenance"
    UNKNOWN_EXECUTION = "unknown_execution"
    # requests
    BAD_PARAMETER = "bad_parameter"
    UNKNOWN_SYMBOL = "unknown_symbol"
    FILTER_FAILURE = "filter_failure"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    DUPLICATE_CLIENT_ORDER_ID = "duplicate_client_order_id"
    ORDER_NOT_FOUND = "order_not_found"
    CANCEL_REJECTED = "cancel_rejected"
    REDUCE_ONLY_REJECTED = "reduce_only_rejected"
    NOT_FOUND = "not_found"


class SandboxError(Exception):
    """A failure the exchange reports to its client.

    ``detail`` is free text for the human reading the response; it never contains key material.
    ``retry_after_s`` is set for rate limits and bans.
    """

    def __init__(self, kind: ErrorKind, detail: str = "", *, retry_after_s: int | None = None) -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail
        self.retry_after_s = retry_after_s
