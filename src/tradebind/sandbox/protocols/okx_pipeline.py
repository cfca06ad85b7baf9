"""The OKX request pipeline: faults, authentication, rate limits and the error envelope.

Every OKX route is an :class:`Endpoint` plus a handler; :class:`Pipeline` wraps the handler so a
request goes latency → maintenance → authentication → permission → rate limit → handler, and any
:class:`SandboxError` comes back in OKX's envelope with OKX's HTTP status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from ..core import Account, ApiKey, ErrorKind, Fault, FaultKind, Permission, SandboxError, Venue, WindowCounter
from .okx_auth import authenticate
from .okx_errors import ERRORS, ORDER_TIMED_OUT, envelope, item_failure, row_for
from .wire import apply_latency, client_ip, drop_connection, json_response

RATE_LIMIT_FAULT_WINDOW_MS = 60_000


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One OKX route and its documented rate limit (requests per window, per User ID or IP).

    ``kind``: ``read`` has no side effects; ``write`` changes state (transfer, cancel, leverage);
    ``order`` places orders (the ``drop_after_accept`` fault applies to it).
    ``per_instrument``: OKX counts trade endpoints per User ID and instrument.
    """

    method: str
    path: str
    limit: int
    window_ms: int
    private: bool = True
    permission: Permission | None = Permission.READ
    kind: str = "read"
    per_instrument: bool = False
    during_maintenance: bool = False


@dataclass(slots=True)
class Call:
    """A request that passed the pipeline: who sent it and what it asked."""

    request: web.Request
    query: dict[str, str]
    body: Any
    key: ApiKey | None = None
    account: Account | None = None

    def param(self, name: str) -> str:
        """A parameter from the query (GET) or the JSON object body (POST); "" when absent."""
        source = self.query if self.request.method == "GET" else self.body
        value = source.get(name, "") if isinstance(source, dict) else ""
        return value if isinstance(value, str) else str(value)

    def who(self) -> tuple[ApiKey, Account]:
        if self.key is None or self.account is None:
            raise RuntimeError("who() is for private endpoints only")
        return self.key, self.account


Handler = Callable[[Call], Awaitable[dict[str, Any]]]


def ok(data: list[Any]) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": data}


@dataclass
class Pipeline:
    venue: Venue
    mount: str
    _counters: dict[int, WindowCounter] = field(default_factory=dict)
    # The rate_limit fault's own window: it starts with the first request the fault counts, so
    # "N requests, then a refusal" holds however the wall-clock minute falls. A new fault, a new
    # window. (OKX has no such minute limit; the fault is the sandbox's.)
    _fault_window: tuple[Fault, WindowCounter] | None = None

    def route(self, endpoint: Endpoint, handler: Handler) -> web.RouteDef:
        async def serve(request: web.Request) -> web.StreamResponse:
            await apply_latency(self.venue, request)
            try:
                call = await self._admit(endpoint, request)
                server_error = self.venue.faults.trip(FaultKind.SERVER_ERROR) is not None
                drop = endpoint.kind == "order" and self.venue.faults.trip(FaultKind.DROP_AFTER_ACCEPT) is not None
                payload = await handler(call)
            except SandboxError as exc:
                row = row_for(exc)
                return json_response(envelope(row), status=row.http)
            if drop:
                return drop_connection(request)
            if server_error:
                return self._unknown_outcome(endpoint, payload)
            return json_response(payload)

        return web.route(endpoint.method, endpoint.path, serve)

    async def _admit(self, endpoint: Endpoint, request: web.Request) -> Call:
        if not endpoint.during_maintenance and self.venue.faults.trip(FaultKind.MAINTENANCE) is not None:
            raise SandboxError(ErrorKind.MAINTENANCE)
        key, account = await authenticate(self.venue, request, self.mount) if endpoint.private else (None, None)
        call = Call(request, dict(request.query), await _body(request), key, account)
        if key is not None and account is not None:
            if endpoint.permission is not None:
                self.venue.require(key, endpoint.permission)
            self._count(endpoint, call, who=account.uid)
        elif self.venue.faults.get(FaultKind.RATE_LIMIT) is not None:
            # OKX limits public endpoints per IP. Every test client shares 127.0.0.1, so the
            # sandbox only counts them while the rate_limit fault asks for it.
            self._count(endpoint, call, who=client_ip(request))
        return call

    def _count(self, endpoint: Endpoint, call: Call, who: object) -> None:
        now = self.venue.clock.now_ms()
        scope = (who, endpoint.path, _instrument_of(call) if endpoint.per_instrument else "")
        counter = self._counters.setdefault(endpoint.window_ms, WindowCounter(endpoint.window_ms))
        limits = [(counter, endpoint.limit)]
        fault = self.venue.faults.get(FaultKind.RATE_LIMIT)
        if fault is not None:
            if self._fault_window is None or self._fault_window[0] is not fault:
                self._fault_window = (fault, WindowCounter(RATE_LIMIT_FAULT_WINDOW_MS, origin_ms=now))
            limits.append((self._fault_window[1], int(fault.number("weight_per_minute", 1))))
        for window, limit in limits:
            if window.add(scope, 1, now) > limit:
                raise SandboxError(ErrorKind.RATE_LIMITED, retry_after_s=max(1, window.reset_ms(now) // 1000))

    def _unknown_outcome(self, endpoint: Endpoint, payload: dict[str, Any]) -> web.Response:
        """The ``server_error`` fault: the request was carried out, the client learns nothing sure."""
        if endpoint.kind == "order":
            items = [
                item_failure(ORDER_TIMED_OUT, item.get("clOrdId", ""), ts=self.venue.clock.now_ms())
                for item in payload.get("data", [])
            ]
            body = {"code": "1", "msg": "Operation failed.", "data": items}
            return json_response(body, status=ORDER_TIMED_OUT.http)
        row = ERRORS[ErrorKind.UNKNOWN_EXECUTION]
        return json_response(envelope(row), status=row.http)


async def _body(request: web.Request) -> Any:
    """The JSON body of a POST (an object, or a list for batch endpoints); {} for GET."""
    if request.method == "GET":
        return {}
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SandboxError(ErrorKind.BAD_PARAMETER, "body") from None
    if not isinstance(body, dict | list):
        raise SandboxError(ErrorKind.BAD_PARAMETER, "body")
    return body


def _instrument_of(call: Call) -> str:
    if isinstance(call.body, list):
        first = call.body[0] if call.body else {}
        return str(first.get("instId", "")) if isinstance(first, dict) else ""
    return call.param("instId")
