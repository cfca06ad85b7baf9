"""The sandbox control API (``/sandbox/v1``): keys, deposits, prices, faults, accounts, orders.

Used by tests, the demo and users' own CI. Input is validated with pydantic; every bad request gets
a 4xx JSON body ``{"error": {"field": ..., "message": ...}}``, never a 500. The request models and
the operations behind them (:func:`issue_key`, :func:`make_deposit`, :func:`balances_view`) are
shared with the API-management pages, so both front doors refuse the same input the same way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, ValidationError, field_validator

from .core import ApiKey, Fault, FaultKind, Order, Permission, SandboxError, Venue
from .core.errors import ErrorKind
from .protocols import ExchangeProtocol
from .protocols.wire import json_response

Venues = Mapping[str, tuple[ExchangeProtocol, Venue]]
AccountId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}(/[A-Za-z0-9_.-]{1,64})?$")]
# Bounded so sums stay exact within Decimal's default 28 significant digits.
PositiveAmount = Annotated[Decimal, Field(gt=0, lt=Decimal("1e12"), allow_inf_nan=False, decimal_places=12)]
Asset = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,12}$")]
Wallet = Annotated[str, Field(min_length=1, max_length=32)]
ExchangeName = Annotated[str, Field(max_length=32)]
M = TypeVar("M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class KeyCreate(_Strict):
    exchange: ExchangeName
    account: AccountId
    label: str = Field(default="", max_length=128)
    permissions: list[str] = Field(default_factory=lambda: ["read"], max_length=16)
    ips: list[str] = Field(default_factory=list, max_length=30)
    expires_at: datetime | None = None
    passphrase: str | None = Field(default=None, min_length=1, max_length=64)
    environment: Literal["live", "demo"] = "live"

    @field_validator("ips")
    @classmethod
    def _ips_are_addresses(cls, ips: list[str]) -> list[str]:
        for ip in ips:
            try:
                ipaddress.ip_network(ip, strict=False)
            except ValueError:
                raise ValueError(f"{ip[:64]!r} is not an IP address or CIDR range") from None
        return ips

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone, e.g. 2030-01-01T00:00:00Z")
        return value


class Deposit(_Strict):
    exchange: ExchangeName
    account: AccountId
    wallet: Wallet
    asset: Asset
    amount: PositiveAmount


class Transfer(Deposit):
    to_wallet: Wallet


class PriceSet(_Strict):
    exchange: ExchangeName
    symbol: str = Field(pattern=r"^[A-Z0-9]{1,12}/[A-Z0-9]{1,12}$")
    price: PositiveAmount


FaultParam = StrictBool | StrictInt | StrictFloat | Annotated[str, Field(max_length=256)] | None


class FaultSet(_Strict):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    __pydantic_extra__: dict[str, FaultParam] = Field(init=False)

    exchange: ExchangeName
    kind: FaultKind
    count: int | None = Field(default=None, ge=1, le=1_000_000_000)
    probability: float = Field(default=1.0, gt=0, le=1)
    ms: int | None = Field(default=None, ge=-86_400_000, le=86_400_000)
    weight_per_minute: int | None = Field(default=None, ge=1, le=1_000_000_000)


class AccountUpdate(_Strict):
    """``POST /accounts``: change what the exchange allows the account; give at least one flag.

    ``frozen``: the exchange has frozen the whole account (each protocol answers its private calls
    as its exchange does); ``trading_enabled`` false: only trading is disabled.
    """

    exchange: ExchangeName
    account: AccountId
    trading_enabled: StrictBool | None = None
    frozen: StrictBool | None = None


class ExchangeQuery(_Strict):
    exchange: ExchangeName


class OptionalExchangeQuery(_Strict):
    exchange: ExchangeName | None = None


class AccountQuery(ExchangeQuery):
    account: AccountId


class OptionalAccountQuery(ExchangeQuery):
    account: AccountId | None = None


class FieldError(Exception):
    """A request the control API (or a page) refuses, naming the field at fault."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field, self.message, self.status = field, message, status

    @classmethod
    def from_validation(cls, exc: ValidationError) -> FieldError:
        """The first problem pydantic found, as ``field: message`` (never echoing the input)."""
        first = exc.errors()[0]
        loc = first["loc"]
        # Keep the field and list positions ("ips.2"), drop pydantic's union-member tags.
        field = ".".join([str(loc[0]), *(str(p) for p in loc[1:] if isinstance(p, int))]) if loc else None
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "is not a known field"
        return cls(field, f"{field}: {message}" if field else message)


# The field a domain failure concerns, for handlers whose request has one obvious culprit.
_FIELD_OF_KIND = {
    ErrorKind.INSUFFICIENT_BALANCE: "amount",
    ErrorKind.UNKNOWN_SYMBOL: "symbol",
}


def _error(status: int, field: str | None, message: str) -> web.Response:
    return json_response({"error": {"field": field, "message": message}}, status=status)


# operations shared with the pages ----------------------------------------------------------------


def find_venue(venues: Venues, exchange: str | None) -> tuple[ExchangeProtocol, Venue]:
    found = venues.get(exchange or "")
    if found is None:
        known = ", ".join(sorted(venues))
        raise FieldError("exchange", f"exchange: unknown exchange {str(exchange)[:32]!r}; known: {known}", 400)
    return found


def check_wallet(venue: Venue, wallet: str, field: str = "wallet") -> str:
    if wallet not in venue.layout.wallets:
        known = ", ".join(venue.layout.wallets)
        raise FieldError(field, f"{field}: unknown wallet {wallet!r}; {venue.name} has {known}")
    return wallet


def grants_of(protocol: ExchangeProtocol, names: list[str]) -> frozenset[Permission]:
    """The neutral permissions behind the exchange's own permission names."""
    grants: set[Permission] = set()
    for name in names:
        granted = protocol.permission_names.get(name)
        if granted is None:
            allowed = ", ".join(protocol.permission_names)
            raise FieldError("permissions", f"permissions: {name[:32]!r} is not one of {allowed}")
        grants |= granted
    return frozenset(grants)


def issue_key(protocol: ExchangeProtocol, venue: Venue, body: KeyCreate) -> ApiKey:
    """Create an API key as the exchange would; the caller shows its secret once."""
    grants = grants_of(protocol, body.permissions)
    if protocol.requires_passphrase and body.passphrase is None:
        raise FieldError("passphrase", f"passphrase: {protocol.name} keys need a passphrase")
    if not protocol.requires_passphrase and body.passphrase is not None:
        raise FieldError("passphrase", f"passphrase: {protocol.name} keys have no passphrase")
    api_key, secret = protocol.new_key_material()
    return venue.add_key(
        ApiKey(
            api_key=api_key,
            secret=secret,
            account_id=body.account,
            label=body.label,
            permissions=grants,
            ips=tuple(body.ips),
            expires_at=body.expires_at,
            passphrase=body.passphrase,
            environment=body.environment,
        )
    )


def key_views(protocol: ExchangeProtocol, venue: Venue, account: str | None) -> list[dict[str, Any]]:
    """The keys without secrets, their permissions in the exchange's own names."""
    views = []
    for key in venue.keys.of_account(account):
        view = key.public_view()
        view["permissions"] = [n for n, g in protocol.permission_names.items() if g and g <= key.permissions]
        views.append(view)
    return views


def make_deposit(venue: Venue, body: Deposit) -> None:
    venue.deposit(body.account, check_wallet(venue, body.wallet), body.asset, body.amount)


def balances_view(venue: Venue, account_id: str) -> dict[str, Any]:
    """Every wallet's non-zero balances and the margin figures of the futures wallet."""
    acct = venue.account(account_id)
    wallets: dict[str, Any] = {
        w: {a: {"free": str(b.free), "locked": str(b.locked)} for a, b in acct.assets(w).items()}
        for w in venue.layout.wallets
    }
    margin_wallet = next(iter(venue.layout.margin_wallets))
    m = venue.margin(acct, margin_wallet)
    return {
        "account": account_id,
        "wallets": wallets,
        "margin": {
            "wallet": margin_wallet,
            "asset": m.asset,
            "wallet_balance": str(m.wallet_balance),
            "unrealised_pnl": str(m.unrealised_pnl),
            "position_initial_margin": str(m.position_initial_margin),
            "open_order_initial_margin": str(m.open_order_initial_margin),
            "available": str(m.available),
            "transferable": str(m.transferable),
        },
    }


# the HTTP API ----------------------------------------------------------------------------------------


class ControlApi:
    """Handlers over the venues, keyed by exchange name."""

    def __init__(self, venues: Venues) -> None:
        self._venues = venues

    def routes(self) -> list[web.RouteDef]:
        h = self._guard
        return [
            web.get("/sandbox/v1/health", h(self.health)),
            web.post("/sandbox/v1/keys", h(self.create_key)),
            web.get("/sandbox/v1/keys", h(self.list_keys)),
            web.delete("/sandbox/v1/keys/{api_key}", h(self.delete_key)),
            web.post("/sandbox/v1/deposits", h(self.deposit)),
            web.post("/sandbox/v1/transfers", h(self.transfer)),
            web.get("/sandbox/v1/balances", h(self.balances)),
            web.post("/sandbox/v1/prices", h(self.set_price)),
            web.get("/sandbox/v1/prices", h(self.get_prices)),
            web.post("/sandbox/v1/faults", h(self.add_fault)),
            web.get("/sandbox/v1/faults", h(self.list_faults)),
            web.delete("/sandbox/v1/faults", h(self.clear_faults)),
            web.post("/sandbox/v1/accounts", h(self.update_account)),
            web.get("/sandbox/v1/orders", h(self.orders)),
        ]

    @staticmethod
    def _guard(
        handler: Callable[[web.Request], Awaitable[web.Response]],
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Turn validation and domain failures into 4xx answers with the field they concern."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except ValidationError as exc:
                err = FieldError.from_validation(exc)
                return _error(err.status, err.field, err.message)
            except FieldError as exc:
                return _error(exc.status, exc.field, exc.message)
            except SandboxError as exc:
                status = 404 if exc.kind in (ErrorKind.NOT_FOUND, ErrorKind.ORDER_NOT_FOUND) else 400
                field = _FIELD_OF_KIND.get(exc.kind)
                message = exc.detail or exc.kind.value
                return _error(status, field, f"{field}: {message}" if field else message)

        return guarded

    # helpers --------------------------------------------------------------------------------

    @staticmethod
    async def _body(request: web.Request, model: type[M]) -> M:
        raw = await request.read()
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise FieldError("body", "body: is not valid JSON", 400) from None
        if not isinstance(data, dict):
            raise FieldError("body", "body: must be a JSON object", 400)
        return model.model_validate(data)

    @staticmethod
    def _query(request: web.Request, model: type[M]) -> M:
        """Validate the query string; unknown parameters are refused rather than ignored."""
        return model.model_validate(dict(request.query))

    def _venue(self, exchange: str | None) -> tuple[ExchangeProtocol, Venue]:
        return find_venue(self._venues, exchange)

    # handlers -------------------------------------------------------------------------------

    async def health(self, request: web.Request) -> web.Response:
        return json_response({"status": "ok", "exchanges": sorted(self._venues)})

    async def create_key(self, request: web.Request) -> web.Response:
        body = await self._body(request, KeyCreate)
        protocol, venue = self._venue(body.exchange)
        key = issue_key(protocol, venue, body)
        return json_response({"api_key": key.api_key, "secret": key.secret}, status=201)

    async def list_keys(self, request: web.Request) -> web.Response:
        query = self._query(request, OptionalAccountQuery)
        protocol, venue = self._venue(query.exchange)
        return json_response(key_views(protocol, venue, query.account))

    async def delete_key(self, request: web.Request) -> web.Response:
        api_key = request.match_info["api_key"]
        for _, venue in self._venues.values():
            if venue.keys.find(api_key) is not None:
                venue.keys.delete(api_key)
                return json_response({"deleted": api_key})
        return _error(404, "api_key", "api_key: no such key")

    async def deposit(self, request: web.Request) -> web.Response:
        body = await self._body(request, Deposit)
        _, venue = self._venue(body.exchange)
        make_deposit(venue, body)
        return json_response(balances_view(venue, body.account))

    async def transfer(self, request: web.Request) -> web.Response:
        body = await self._body(request, Transfer)
        _, venue = self._venue(body.exchange)
        check_wallet(venue, body.wallet)
        check_wallet(venue, body.to_wallet, "to_wallet")
        if body.wallet == body.to_wallet:
            raise FieldError("to_wallet", "to_wallet: must differ from wallet")
        venue.transfer(body.account, body.asset, body.amount, body.wallet, body.to_wallet)
        return json_response(balances_view(venue, body.account))

    async def balances(self, request: web.Request) -> web.Response:
        query = self._query(request, AccountQuery)
        _, venue = self._venue(query.exchange)
        return json_response(balances_view(venue, query.account))

    async def set_price(self, request: web.Request) -> web.Response:
        body = await self._body(request, PriceSet)
        _, venue = self._venue(body.exchange)
        venue.set_price(body.symbol, body.price)
        return json_response({"symbol": body.symbol, "price": str(venue.prices.get(body.symbol))})

    async def get_prices(self, request: web.Request) -> web.Response:
        _, venue = self._venue(self._query(request, ExchangeQuery).exchange)
        return json_response({p: str(venue.prices.get(p)) for p in venue.prices.pairs()})

    async def add_fault(self, request: web.Request) -> web.Response:
        body = await self._body(request, FaultSet)
        _, venue = self._venue(body.exchange)
        params: dict[str, Any] = dict(body.model_extra or {})
        for name in ("ms", "weight_per_minute"):
            value = getattr(body, name)
            if value is not None:
                params[name] = value
        if body.kind in (FaultKind.LATENCY, FaultKind.CLOCK_OFFSET) and body.ms is None:
            raise FieldError("ms", f"ms: the {body.kind.value} fault needs ms")
        if body.kind is FaultKind.LATENCY and body.ms is not None and body.ms < 0:
            raise FieldError("ms", "ms: latency cannot be negative")
        if body.kind is FaultKind.RATE_LIMIT and body.weight_per_minute is None:
            raise FieldError("weight_per_minute", "weight_per_minute: the rate_limit fault needs it")
        venue.faults.add(Fault(body.kind, params, body.count, body.probability))
        if body.kind is FaultKind.CLOCK_OFFSET:
            venue.clock.offset_ms = int(body.ms or 0)
        return json_response({"faults": venue.faults.describe()}, status=201)

    async def list_faults(self, request: web.Request) -> web.Response:
        _, venue = self._venue(self._query(request, ExchangeQuery).exchange)
        return json_response({"faults": venue.faults.describe()})

    async def clear_faults(self, request: web.Request) -> web.Response:
        exchange = self._query(request, OptionalExchangeQuery).exchange
        targets = [self._venue(exchange)[1]] if exchange is not None else [v for _, v in self._venues.values()]
        for venue in targets:
            venue.faults.clear()
            venue.clock.offset_ms = 0
        return json_response({"faults": []})

    async def update_account(self, request: web.Request) -> web.Response:
        body = await self._body(request, AccountUpdate)
        if body.trading_enabled is None and body.frozen is None:
            # Named after the newer flag; the message names both.
            raise FieldError("frozen", "frozen: give trading_enabled or frozen (true or false), or both")
        _, venue = self._venue(body.exchange)
        acct = venue.account(body.account)
        if body.trading_enabled is not None:
            acct.trading_enabled = body.trading_enabled
        if body.frozen is not None:
            acct.frozen = body.frozen
        return json_response({"account": body.account, "trading_enabled": acct.trading_enabled, "frozen": acct.frozen})

    async def orders(self, request: web.Request) -> web.Response:
        query = self._query(request, OptionalAccountQuery)
        _, venue = self._venue(query.exchange)
        return json_response([_order_view(o) for o in venue.orders_of(query.account)])


def _order_view(order: Order) -> dict[str, Any]:
    return {
        "order_id": str(order.order_id),
        "client_order_id": order.client_order_id,
        "account": order.account_id,
        "symbol": order.instrument_id,
        "side": order.side.value,
        "type": order.type.value,
        "qty": str(order.qty),
        "price": str(order.price) if order.price is not None else None,
        "status": order.status.value,
        "filled_qty": str(order.filled_qty),
        "avg_price": str(order.avg_price),
        "created_ms": order.created_ms,
    }
