"""The request pipeline every Binance endpoint goes through, in Binance's order.

latency fault -> IP weight (429 / 418) -> for signed calls: maintenance, API key (-2014 / -2015),
signature (-1022), timing (-1021), permission (-2015) -> server_error fault -> the handler ->
drop_after_accept fault -> JSON with ``X-MBX-USED-WEIGHT-1M`` (and order-count headers).
Handlers are plain synchronous functions of a :class:`Call`; the core never awaits.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..core import Account, ApiKey, ErrorKind, FaultKind, Permission, SandboxError, Venue
from .binance_errors import Api, BinanceError, bad_value, render
from .binance_limits import WEIGHT_HEADERS, WEIGHT_LIMITS, OrderCounter, WeightGate
from .binance_signing import check_timing, parse_signed, parse_unsigned, signature_matches
from .wire import apply_latency, client_ip, drop_connection, json_response

# Every key Binance has shown is 64 characters of [A-Za-z0-9] (exchanges.md §1.8).
API_KEY_RE = re.compile(r"[A-Za-z0-9]{64}")


@dataclass(slots=True)
class Call:
    """One request as a handler sees it: who, from where, when, with which params."""

    ip: str
    now_ms: int
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    key: ApiKey | None = None
    account: Account | None = None

    @property
    def acct(self) -> Account:
        assert self.account is not None, "handler of a signed endpoint"
        return self.account

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value else None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise bad_value(name)
        return value


Handler = Callable[[Call], Any]
Weight = int | Callable[[dict[str, str]], int]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One route: its API family, request weight, security and handler.

    ``order``: a new-order endpoint (order counts, drop_after_accept, server_error "executed").
    ``permissions``: neutral permissions the key needs beyond reading, which every key has.
    """

    method: str
    path: str
    api: Api
    weight: Weight
    handler: Handler
    signed: bool = False
    order: bool = False
    cancel: bool = False
    permissions: tuple[Permission, ...] = ()


class Pipeline:
    """Runs endpoints against one venue with its weight and order counters.

    ``environment``: "live", or "demo" for the testnet host; keys of the other one get -2015, as
    a testnet key does on binance.com (the key simply does not exist there).
    """

    def __init__(self, venue: Venue, environment: str = "live") -> None:
        self.venue = venue
        self.environment = environment
        self.weights = WeightGate()
        self.order_counts = OrderCounter()

    def weight_limit(self, api: Api) -> int:
        """The IP weight limit in force: Binance's, or tighter under the ``rate_limit`` fault."""
        limit = WEIGHT_LIMITS[api]
        fault = self.venue.faults.get(FaultKind.RATE_LIMIT)
        if fault is not None:
            limit = min(limit, int(fault.number("weight_per_minute", limit)))
        return limit

    def route(self, endpoint: Endpoint) -> web.RouteDef:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._serve(endpoint, request)

        return web.route(endpoint.method, endpoint.path, handle)

    async def _serve(self, ep: Endpoint, request: web.Request) -> web.StreamResponse:
        ip = client_ip(request)
        headers: dict[str, str] = {}
        try:
            await apply_latency(self.venue, request)
            raw_query = request.rel_url.raw_query_string
            raw_body = (await request.read()).decode("utf-8", errors="replace")
            call = Call(ip, self.venue.clock.now_ms(), parse_unsigned(raw_query, raw_body), headers)
            weight = ep.weight(call.params) if callable(ep.weight) else ep.weight
            used = self.weights.charge(ep.api, ip, weight, self.weight_limit(ep.api), call.now_ms)
            headers[WEIGHT_HEADERS[ep.api]] = str(used)
            if ep.signed:
                self._authenticate(ep, request, call, raw_query, raw_body)
                self._server_error(ep, call)
            result = ep.handler(call)
            if ep.order and self.venue.faults.trip(FaultKind.DROP_AFTER_ACCEPT) is not None:
                return drop_connection(request)
            return json_response(result, headers=headers)
        except SandboxError as exc:
            if exc.retry_after_s is not None:
                headers["Retry-After"] = str(exc.retry_after_s)
            return self._error(ep, ip, render(exc, ep.api, ip, cancel=ep.cancel), headers)
        except BinanceError as exc:
            return self._error(ep, ip, exc, headers)

    def _error(self, ep: Endpoint, ip: str, error: BinanceError, headers: dict[str, str]) -> web.Response:
        headers.setdefault(WEIGHT_HEADERS[ep.api], str(self.weights.used(ep.api, ip, self.venue.clock.now_ms())))
        return json_response(error.body(), status=error.status, headers=headers)

    def _authenticate(self, ep: Endpoint, request: web.Request, call: Call, raw_query: str, raw_body: str) -> None:
        if self.venue.faults.trip(FaultKind.MAINTENANCE) is not None:
            raise SandboxError(ErrorKind.MAINTENANCE)
        api_key = request.headers.get("X-MBX-APIKEY", "")
        if not api_key:
            raise SandboxError(ErrorKind.MISSING_KEY)
        if not API_KEY_RE.fullmatch(api_key):
            raise SandboxError(ErrorKind.BAD_KEY_FORMAT)
        signed = parse_signed(raw_query, raw_body)
        call.params = signed.params
        given = signed.signature
        if given is None:
            # Binance looks the key up before it asks for the signature.
            if self.venue.keys.find(api_key) is None:
                raise SandboxError(ErrorKind.UNKNOWN_KEY)
            raise bad_value("signature")
        # A frozen Binance account still answers reads (canTrade false); trading is refused
        # through Account.may_trade with "This action is disabled on this account." (exchanges.md §1.4).
        call.key, call.account = self.venue.authenticate(
            api_key,
            call.ip,
            lambda key: signature_matches(key.secret, signed.payload, given),
            environment=self.environment,
            refuse_frozen=False,
        )
        check_timing(signed.params, call.now_ms)
        Venue.require(call.key, *ep.permissions)

    def _server_error(self, ep: Endpoint, call: Call) -> None:
        """The ``server_error`` fault: -1007 with the fault's HTTP status (default 503).

        On a new-order endpoint the fault's ``executed`` param (default true) decides whether the
        order was placed before the "timeout", as on Binance where the status is unknown.
        """
        fault = self.venue.faults.trip(FaultKind.SERVER_ERROR)
        if fault is None:
            return
        if ep.order and fault.params.get("executed", True) not in (False, "false", 0):
            with contextlib.suppress(SandboxError, BinanceError):
                ep.handler(call)
        status = int(fault.number("status", 503))
        raise BinanceError(status if 500 <= status <= 599 else 503, -1007, _TIMEOUT_MSG)


_TIMEOUT_MSG = "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
