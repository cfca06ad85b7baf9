"""The request pipeline every Bybit v5 endpoint runs through.

Public endpoints: IP limit, latency. Private endpoints add, in order: maintenance, the auth headers,
the key (unknown → environment → expiry → IP → signature, in the venue), the timestamp window,
the per-UID endpoint limit, and the ``server_error`` fault. Handlers return the ``result`` object;
the pipeline wraps it in Bybit's envelope ``{retCode, retMsg, result, retExtInfo, time}`` and
renders every :class:`SandboxError` through :mod:`.bybit_errors`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from aiohttp import web

from ..core import Account, ApiKey, ErrorKind, FaultKind, SandboxError, Venue
from .bybit_auth import DEFAULT_RECV_WINDOW_MS, RateLimiter, check_timestamp, signature_matches
from .bybit_errors import describe
from .wire import apply_latency, client_ip, drop_connection, json_response


class Dropped(Exception):
    """Raised by a handler that has acted and must now drop the connection (drop_after_accept)."""


@dataclass(slots=True)
class Call:
    """One parsed request: its parameters and, for private endpoints, the key and its account."""

    params: dict[str, Any]
    key: ApiKey | None = None
    account: Account | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def owner(self) -> tuple[ApiKey, Account]:
        assert self.key is not None, "private endpoints only"
        assert self.account is not None, "private endpoints only"
        return self.key, self.account

    def text(self, name: str, default: str | None = None) -> str:
        """A parameter as text; ``BAD_PARAMETER`` naming it when required and absent."""
        value = self.params.get(name)
        if value is None or value == "":
            if default is not None:
                return default
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"{name} is required")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"{name} must be a string")
        return str(value)

    def decimal(self, name: str, default: str | None = None) -> Decimal:
        raw = self.text(name, default)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"{name} must be a number") from None
        # Bounded so the venue's arithmetic can never overflow into a server error.
        if not value.is_finite() or (value and not -30 <= value.adjusted() <= 30):
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"{name} must be a number")
        return value

    def flag(self, name: str) -> bool:
        value = self.params.get(name, False)
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1"):
            return True
        if str(value).lower() in ("false", "0", ""):
            return False
        raise SandboxError(ErrorKind.BAD_PARAMETER, f"{name} must be true or false")


Handler = Callable[[Call], Any]


def envelope(venue: Venue, result: Any, code: int = 0, message: str = "OK") -> dict[str, Any]:
    return {"retCode": code, "retMsg": message, "result": result, "retExtInfo": {}, "time": venue.clock.now_ms()}


class Pipeline:
    """Wraps handlers into aiohttp endpoints for one venue.

    ``environment``: "live", or "demo" for the demo host; a key of the other one gets 10003
    ("Check whether the key and domain are matched, there are 4 env").
    """

    def __init__(self, venue: Venue, environment: str = "live") -> None:
        self.venue = venue
        self.environment = environment
        self.limiter = RateLimiter()

    def endpoint(
        self, path: str, handler: Handler, *, private: bool = True, acts: bool = False
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """``acts``: the handler changes state and trips the after-the-fact faults itself."""

        async def respond(request: web.Request) -> web.StreamResponse:
            venue = self.venue
            try:
                self.limiter.hit_ip(client_ip(request), venue.clock.now_ms())
            except SandboxError as exc:
                return self._error(exc, spot=False, headers={})
            await apply_latency(venue, request)
            headers: dict[str, str] = {}  # the rate-limit headers, once the UID is known
            spot = False
            try:
                params, payload = await _read(request)
                spot = params.get("category") == "spot"
                call = Call(params, headers=headers)
                if private:
                    self._admit(request, call, path, payload)
                    if not acts and venue.faults.trip(FaultKind.SERVER_ERROR):
                        raise SandboxError(ErrorKind.UNKNOWN_EXECUTION)
                result = handler(call)
            except Dropped:
                return drop_connection(request)
            except SandboxError as exc:
                return self._error(exc, spot=spot, headers=headers)
            return json_response(envelope(venue, result), headers=headers or None)

        return respond

    def _admit(self, request: web.Request, call: Call, path: str, payload: str) -> None:
        """Authenticate and count a private request; put the rate-limit headers on ``call``."""
        venue = self.venue
        if venue.faults.trip(FaultKind.MAINTENANCE):
            raise SandboxError(ErrorKind.MAINTENANCE)
        h = request.headers
        api_key, sign, ts = h.get("X-BAPI-API-KEY", ""), h.get("X-BAPI-SIGN", ""), h.get("X-BAPI-TIMESTAMP", "")
        recv = h.get("X-BAPI-RECV-WINDOW", str(DEFAULT_RECV_WINDOW_MS))
        if not (api_key and sign and ts):
            raise SandboxError(ErrorKind.MISSING_KEY)
        if not (api_key.isascii() and api_key.isalnum()) or len(api_key) > 64:
            raise SandboxError(ErrorKind.BAD_KEY_FORMAT)
        key, account = venue.authenticate(
            api_key,
            client_ip(request),
            lambda k: signature_matches(sign, k.secret, ts, api_key, recv, payload),
            environment=self.environment,
        )
        # After the signature: a correctly signed request outside the window is a clock problem.
        check_timestamp(ts, recv, venue.clock.now_ms())
        call.key, call.account = key, account
        cap = None
        fault = venue.faults.get(FaultKind.RATE_LIMIT)
        if fault is not None:
            per_second = fault.number("per_second") or math.ceil(fault.number("weight_per_minute", 60) / 60)
            cap = max(1, int(per_second))
        status = self.limiter.hit_uid(
            account.uid, path, str(call.params.get("category", "")), venue.clock.now_ms(), cap
        )
        call.headers.update(status.headers())
        if status.exceeded:
            raise SandboxError(ErrorKind.RATE_LIMITED, retry_after_s=1)

    def _error(self, exc: SandboxError, *, spot: bool, headers: dict[str, str]) -> web.Response:
        status, code, message = describe(exc.kind, exc.detail, spot=spot)
        if exc.kind is ErrorKind.IP_BANNED:
            # Bybit's IP limit is a bare 403 from its gateway, not a JSON envelope.
            retry = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else {}
            return web.Response(status=403, text="403 Forbidden: access too frequent", headers=retry)
        return json_response(envelope(self.venue, {}, code, message), status=status, headers=headers or None)


async def _read(request: web.Request) -> tuple[dict[str, Any], str]:
    """The request's parameters and the text Bybit signs: the query string, or the raw body."""
    if request.method == "GET":
        # ccxt signs the unquoted query string it sends (Exchange.rawencode).
        return dict(request.query), request.query_string
    raw = await request.text()
    if not raw:
        return {}, raw
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SandboxError(ErrorKind.BAD_PARAMETER, "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise SandboxError(ErrorKind.BAD_PARAMETER, "body must be a JSON object")
    return body, raw
