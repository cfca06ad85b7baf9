"""Bybit v5 request authentication and rate limits. Pure: inputs in, verdicts out.

Signing (docs/v5/guide.mdx, exchanges.md §3.1): ``X-BAPI-SIGN`` is the lowercase hex
HMAC-SHA256 of ``timestamp + api_key + recv_window + (query string | JSON body)``, and a request
is accepted when ``server_time - recv_window <= timestamp < server_time + 1000``.

Limits (docs/v5/rate-limit.mdx, exchanges.md §3.5): per UID per endpoint per second, reported in
``X-Bapi-Limit``, ``X-Bapi-Limit-Status`` and ``X-Bapi-Limit-Reset-Timestamp``; and 600 requests
per 5 s per IP, past which Bybit answers HTTP 403.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass

from ..core import ErrorKind, SandboxError, WindowCounter

DEFAULT_RECV_WINDOW_MS = 5000  # "default value is 5,000" (guide.mdx)
FUTURE_TOLERANCE_MS = 1000
IP_LIMIT = 600
IP_WINDOW_MS = 5000

# Requests per second per UID, by endpoint (and category where Bybit distinguishes), from the
# UTA 2.0 table of rate-limit.mdx. Endpoints not listed get DEFAULT_UID_LIMIT.
UID_LIMITS: dict[tuple[str, str], int] = {
    ("/v5/order/create", "linear"): 10,
    ("/v5/order/create", "spot"): 20,
    ("/v5/order/cancel", "linear"): 10,
    ("/v5/order/cancel", "spot"): 20,
    ("/v5/order/realtime", ""): 50,
    ("/v5/position/list", ""): 50,
    ("/v5/position/set-leverage", ""): 10,
    ("/v5/account/wallet-balance", ""): 50,
    ("/v5/account/info", ""): 50,
    ("/v5/user/query-api", ""): 10,
    ("/v5/asset/transfer/query-account-coins-balance", ""): 5,
    ("/v5/asset/transfer/inter-transfer", ""): 5,
    ("/v5/asset/coin/query-info", ""): 5,
}
DEFAULT_UID_LIMIT = 20


def signature(secret: str, timestamp: str, api_key: str, recv_window: str, payload: str) -> str:
    """Bybit's HMAC signature of one request (``payload`` is the query string or the JSON body)."""
    message = f"{timestamp}{api_key}{recv_window}{payload}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(given: str, secret: str, timestamp: str, api_key: str, recv_window: str, payload: str) -> bool:
    expected = signature(secret, timestamp, api_key, recv_window, payload)
    # Bytes, not str: compare_digest refuses non-ASCII text, and a header may carry any.
    return hmac.compare_digest(expected.encode(), given.lower().encode())


def check_timestamp(timestamp: str, recv_window: str, now_ms: int) -> None:
    """Raise ``BAD_TIMESTAMP`` / ``TIMESTAMP_OUT_OF_WINDOW`` unless Bybit's window rule holds."""
    try:
        ts, window = int(timestamp), int(recv_window)
    except ValueError:
        raise SandboxError(ErrorKind.BAD_TIMESTAMP, "timestamp and recv_window must be integers") from None
    if window <= 0:
        raise SandboxError(ErrorKind.BAD_TIMESTAMP, "recv_window must be positive")
    if not now_ms - window <= ts < now_ms + FUTURE_TOLERANCE_MS:
        raise SandboxError(
            ErrorKind.TIMESTAMP_OUT_OF_WINDOW, f"req_timestamp[{ts}],server_timestamp[{now_ms}],recv_window[{window}]"
        )


@dataclass(frozen=True, slots=True)
class LimitStatus:
    """One request's standing against its per-UID endpoint limit."""

    limit: int
    remaining: int
    reset_ms: int
    exceeded: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-Bapi-Limit": str(self.limit),
            "X-Bapi-Limit-Status": str(self.remaining),
            "X-Bapi-Limit-Reset-Timestamp": str(self.reset_ms),
        }


class RateLimiter:
    """Counts requests per IP (5 s windows) and per UID and endpoint (1 s windows)."""

    def __init__(self) -> None:
        self._ip = WindowCounter(IP_WINDOW_MS)
        self._uid = WindowCounter(1000)

    def hit_ip(self, ip: str, now_ms: int) -> None:
        if self._ip.add(ip, 1, now_ms) > IP_LIMIT:
            raise SandboxError(ErrorKind.IP_BANNED, retry_after_s=math.ceil(self._ip.reset_ms(now_ms) / 1000))

    def hit_uid(self, uid: int, endpoint: str, category: str, now_ms: int, cap: int | None = None) -> LimitStatus:
        """Count one request; ``cap`` (the ``rate_limit`` fault) tightens the endpoint's limit."""
        limit = UID_LIMITS.get((endpoint, category), UID_LIMITS.get((endpoint, ""), DEFAULT_UID_LIMIT))
        if cap is not None:
            limit = min(limit, cap)
        bucket = (uid, endpoint, category if (endpoint, category) in UID_LIMITS else "")
        used = self._uid.add(bucket, 1, now_ms)
        return LimitStatus(
            limit=limit,
            remaining=max(0, limit - used),
            reset_ms=now_ms + self._uid.reset_ms(now_ms),
            exceeded=used > limit,
        )
