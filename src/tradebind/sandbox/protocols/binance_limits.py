"""Binance rate limits: request weight per IP and order counts per account, in fixed windows.

Facts (shared/reference/exchanges.md §1.5; Binance spot rest-api.md "LIMITS"; USDⓈ-M docs):
- Weight is counted per IP, separately for /api (REQUEST_WEIGHT 6000 per minute) and /fapi
  (2400 per minute); /sapi endpoints have their own per-IP counter (12000 per minute) reported in
  ``X-SAPI-USED-IP-WEIGHT-1M``. Every response carries the used weight of its counter.
- Over the limit Binance answers HTTP 429 (-1003) with ``Retry-After``; "repeatedly violating
  rate limits and/or failing to back off after receiving 429s will result in an automated IP ban
  (HTTP status 418)", banned "from 2 minutes to 3 days". Here: a request from an IP that was
  already told 429 in the current window gets a 2-minute ban.
- Order counts are per account: spot ORDERS 50 per 10 s and 160000 per day
  (``X-MBX-ORDER-COUNT-10S`` / ``-1D``); USDⓈ-M 300 per 10 s and 1200 per minute
  (``X-MBX-ORDER-COUNT-10S`` / ``-1M``); over a limit: HTTP 429, -1015.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import ErrorKind, SandboxError, WindowCounter
from .binance_errors import Api

MINUTE_MS = 60_000
BAN_MS = 120_000


@dataclass(frozen=True, slots=True)
class OrderLimit:
    limit: int
    interval_ms: int
    interval: str  # Binance's interval name: SECOND / MINUTE / DAY
    interval_num: int
    header: str


WEIGHT_LIMITS: dict[Api, int] = {Api.SPOT: 6000, Api.SAPI: 12000, Api.FAPI: 2400, Api.DAPI: 2400}
WEIGHT_HEADERS: dict[Api, str] = {
    Api.SPOT: "X-MBX-USED-WEIGHT-1M",
    Api.SAPI: "X-SAPI-USED-IP-WEIGHT-1M",
    Api.FAPI: "X-MBX-USED-WEIGHT-1M",
    Api.DAPI: "X-MBX-USED-WEIGHT-1M",
}
ORDER_LIMITS: dict[Api, tuple[OrderLimit, ...]] = {
    Api.SPOT: (
        OrderLimit(50, 10_000, "SECOND", 10, "X-MBX-ORDER-COUNT-10S"),
        OrderLimit(160_000, 86_400_000, "DAY", 1, "X-MBX-ORDER-COUNT-1D"),
    ),
    Api.FAPI: (
        OrderLimit(300, 10_000, "SECOND", 10, "X-MBX-ORDER-COUNT-10S"),
        OrderLimit(1200, MINUTE_MS, "MINUTE", 1, "X-MBX-ORDER-COUNT-1M"),
    ),
}


def rate_limits_info(api: Api, weight_limit: int) -> list[dict[str, object]]:
    """exchangeInfo ``rateLimits`` for ``api`` with the weight limit currently in force."""
    limits: list[dict[str, object]] = [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight_limit}
    ]
    limits += [
        {"rateLimitType": "ORDERS", "interval": o.interval, "intervalNum": o.interval_num, "limit": o.limit}
        for o in ORDER_LIMITS.get(api, ())
    ]
    if api is Api.SPOT:
        limits.append({"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000})
    return limits


class WeightGate:
    """Request weight per (API family, IP), with 429 warnings and 418 bans."""

    def __init__(self) -> None:
        self._used = WindowCounter(MINUTE_MS)
        self._warned: dict[tuple[Api, str], int] = {}  # -> window start of the 429 sent
        self._banned_until: dict[tuple[Api, str], int] = {}

    def used(self, api: Api, ip: str, now_ms: int) -> int:
        return self._used.used((api, ip), now_ms)

    def charge(self, api: Api, ip: str, weight: int, limit: int, now_ms: int) -> int:
        """Count ``weight``; return the used weight, or raise ``RATE_LIMITED`` / ``IP_BANNED``.

        The raised error's ``retry_after_s`` is what goes into ``Retry-After``.
        """
        key = (api, ip)
        until = self._banned_until.get(key, 0)
        if until > now_ms:
            raise SandboxError(ErrorKind.IP_BANNED, str(until), retry_after_s=-(-(until - now_ms) // 1000))
        used = self._used.add(key, weight, now_ms)
        if used <= limit:
            return used
        window = self._used.window_start(now_ms)
        if self._warned.get(key) == window:
            until = now_ms + BAN_MS
            self._banned_until[key] = until
            raise SandboxError(ErrorKind.IP_BANNED, str(until), retry_after_s=BAN_MS // 1000)
        self._warned[key] = window
        raise SandboxError(ErrorKind.RATE_LIMITED, str(limit), retry_after_s=-(-self._used.reset_ms(now_ms) // 1000))


class OrderCounter:
    """New orders per (API family, account) in each of the family's order windows."""

    def __init__(self) -> None:
        self._counters = {
            (api, o.interval_ms): WindowCounter(o.interval_ms) for api, ls in ORDER_LIMITS.items() for o in ls
        }

    def charge(self, api: Api, account_id: str, now_ms: int) -> dict[str, str]:
        """Count one new order; return the count headers, or raise ``ORDER_RATE_LIMITED``."""
        headers: dict[str, str] = {}
        for limit in ORDER_LIMITS.get(api, ()):
            counter = self._counters[(api, limit.interval_ms)]
            used = counter.add(account_id, 1, now_ms)
            if used > limit.limit:
                raise SandboxError(
                    ErrorKind.ORDER_RATE_LIMITED,
                    f"{limit.limit} orders per {limit.interval_num} {limit.interval}",
                    retry_after_s=-(-counter.reset_ms(now_ms) // 1000),
                )
            headers[limit.header] = str(used)
        return headers
