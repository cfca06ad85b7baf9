"""Each exchange's own rate accounting: what a gateway operation costs, and what the reply says.

Pure. Facts from shared/reference/exchanges.md (and the sandbox, which follows them):

- Binance (§1.5): request weight per IP, counted separately for ``/api`` (6000 per minute) and
  ``/fapi`` (2400 per minute), reported in ``X-MBX-USED-WEIGHT-1M``; unfilled-order counts per
  account (spot 50 per 10 s and 160000 per day; USDⓈ-M 300 per 10 s and 1200 per minute)
  reported in ``X-MBX-ORDER-COUNT-10S`` / ``-1D`` / ``-1M``. The limits in force come from
  ``exchangeInfo.rateLimits`` ("read exchangeInfo, do not hard-code"): see :func:`binance_limits`.
  Weights per endpoint: spot order 1, query order 4, cancel 1, openOrders 6 (80 without a
  symbol), account 20, ticker 2; USDⓈ-M order 0 (order counters only), query 1, cancel 1,
  openOrders 1 (40), account 5, positionRisk 5, ticker 1, leverage 1.
- Bybit (§3.5): per UID and endpoint per second (``/v5/order/create`` 10 linear / 20 spot,
  ``/v5/order/realtime`` 50, wallet-balance 50, position/list 50, position/set-leverage 10),
  reported as ``X-Bapi-Limit`` and ``X-Bapi-Limit-Status`` (remaining); and 600 requests per 5 s
  per IP.
- OKX (§2.5): per User ID and endpoint, trade endpoints also per instrument, in 2 s windows
  (place 60, get order 60, cancel 60, orders-pending 60, balance 10, positions 10, set-leverage
  20); public market data 20 per 2 s per IP. OKX sends no usage headers.

"Account" is the exchange account of the key (``ResolvedBinding.account_key``), as the connection
check learned it (OKX ``uid``, Bybit ``userID``, Binance ``uid``): every key of one account, and
every bot on their bindings, shares one budget. Where the account is not known (a credential not
checked since, or a check that could not read it) it is the credential; Binance's per-account
order counters still arrive in every reply's headers, so such a budget follows the account's
real count.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..domain.market import Market
from .budgets import Charge, Observation

__all__ = ["AccountingContext", "Limits", "Op", "binance_limits", "charges", "observations"]

MINUTE_MS = 60_000
DAY_MS = 86_400_000


class Op(enum.StrEnum):
    """What the gateway asks of the exchange; each maps to one endpoint per exchange and market."""

    PLACE = "place"
    CANCEL = "cancel"
    QUERY = "query"
    OPEN_ORDERS = "open_orders"
    BALANCE = "balance"
    POSITIONS = "positions"
    LEVERAGE = "leverage"  # set a contract's leverage (futures only)
    TICKER = "ticker"
    MARKETS = "markets"  # loading markets and exchange info (public)


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits learned from the exchange (Binance ``exchangeInfo``) by counter name; the
    documented figures apply where nothing was learned."""

    values: Mapping[str, int] = field(default_factory=dict)

    def get(self, name: str, default: int) -> int:
        return self.values.get(name, default)


@dataclass(frozen=True, slots=True)
class AccountingContext:
    """Who is charged: the exchange account (``ResolvedBinding.account_key``), the egress IP, and the market."""

    exchange: str
    market: Market
    account: str
    ip: str
    limits: Limits = Limits()


# -- Binance ---------------------------------------------------------------------------------------

_BINANCE_WEIGHT: dict[Market, dict[Op, int]] = {
    Market.SPOT: {Op.PLACE: 1, Op.CANCEL: 1, Op.QUERY: 4, Op.OPEN_ORDERS: 6, Op.BALANCE: 20, Op.TICKER: 2,
                  Op.POSITIONS: 0, Op.MARKETS: 20, Op.LEVERAGE: 0},
    Market.FUTURES: {Op.PLACE: 0, Op.CANCEL: 1, Op.QUERY: 1, Op.OPEN_ORDERS: 1, Op.BALANCE: 5, Op.TICKER: 1,
                     Op.POSITIONS: 5, Op.MARKETS: 1, Op.LEVERAGE: 1},
}  # fmt: skip
_BINANCE_ALL_OPEN_ORDERS = {Market.SPOT: 80, Market.FUTURES: 40}
_BINANCE_DEFAULT_WEIGHT_LIMIT = {Market.SPOT: 6000, Market.FUTURES: 2400}
# (counter name, window ms, header, documented limit) per market.
_BINANCE_ORDER_COUNTERS: dict[Market, tuple[tuple[str, int, str, int], ...]] = {
    Market.SPOT: (
        ("orders-10s", 10_000, "X-MBX-ORDER-COUNT-10S", 50),
        ("orders-1d", DAY_MS, "X-MBX-ORDER-COUNT-1D", 160_000),
    ),
    Market.FUTURES: (
        ("orders-10s", 10_000, "X-MBX-ORDER-COUNT-10S", 300),
        ("orders-1m", MINUTE_MS, "X-MBX-ORDER-COUNT-1M", 1200),
    ),
}
_BINANCE_INTERVALS = {"SECOND": 1000, "MINUTE": MINUTE_MS, "HOUR": 3_600_000, "DAY": DAY_MS}


def binance_limits(rate_limits: object) -> Limits:
    """Limits from an ``exchangeInfo`` ``rateLimits`` list (spot or USDⓈ-M)."""
    values: dict[str, int] = {}
    for item in rate_limits if isinstance(rate_limits, list) else []:
        if not isinstance(item, dict):
            continue
        interval = _BINANCE_INTERVALS.get(str(item.get("interval")), 0) * int(item.get("intervalNum", 1))
        kind, limit = item.get("rateLimitType"), int(item.get("limit", 0))
        if kind == "REQUEST_WEIGHT" and interval == MINUTE_MS:
            values["weight-1m"] = limit
        elif kind == "ORDERS" and interval == 10_000:
            values["orders-10s"] = limit
        elif kind == "ORDERS" and interval == MINUTE_MS:
            values["orders-1m"] = limit
        elif kind == "ORDERS" and interval == DAY_MS:
            values["orders-1d"] = limit
    return Limits(values)


def _binance_family(market: Market) -> str:
    return "api" if market is Market.SPOT else "fapi"


def _binance_charges(ctx: AccountingContext, op: Op, symbol: str | None) -> list[Charge]:
    weight = _BINANCE_WEIGHT[ctx.market][op]
    if op is Op.OPEN_ORDERS and symbol is None:
        weight = _BINANCE_ALL_OPEN_ORDERS[ctx.market]
    family = _binance_family(ctx.market)
    limit = ctx.limits.get("weight-1m", _BINANCE_DEFAULT_WEIGHT_LIMIT[ctx.market])
    out = [Charge(f"ip:{ctx.ip}:binance:{family}:weight-1m", weight, limit, MINUTE_MS)] if weight else []
    if op is Op.PLACE:
        for name, window, _header, default in _BINANCE_ORDER_COUNTERS[ctx.market]:
            out.append(Charge(f"acct:{ctx.account}:binance:{family}:{name}", 1, ctx.limits.get(name, default), window))
    return out


def _binance_observations(ctx: AccountingContext, op: Op, headers: Mapping[str, str]) -> list[Observation]:
    family = _binance_family(ctx.market)
    out = []
    used = _header(headers, "X-MBX-USED-WEIGHT-1M")
    if used is not None and used.isdigit():
        out.append(Observation(f"ip:{ctx.ip}:binance:{family}:weight-1m", int(used), MINUTE_MS))
    if op is Op.PLACE:  # "successful order responses carry X-MBX-ORDER-COUNT-*" (exchanges.md §1.5)
        for name, window, header, _default in _BINANCE_ORDER_COUNTERS[ctx.market]:
            count = _header(headers, header)
            if count is not None and count.isdigit():
                out.append(Observation(f"acct:{ctx.account}:binance:{family}:{name}", int(count), window))
    return out


# -- Bybit -----------------------------------------------------------------------------------------

_BYBIT_PATHS = {
    Op.PLACE: "/v5/order/create",
    Op.CANCEL: "/v5/order/cancel",
    Op.QUERY: "/v5/order/realtime",
    Op.OPEN_ORDERS: "/v5/order/realtime",
    Op.BALANCE: "/v5/account/wallet-balance",
    Op.POSITIONS: "/v5/position/list",
    Op.LEVERAGE: "/v5/position/set-leverage",
}
_BYBIT_LIMITS = {
    ("/v5/order/create", "linear"): 10,
    ("/v5/order/create", "spot"): 20,
    ("/v5/order/cancel", "linear"): 10,
    ("/v5/order/cancel", "spot"): 20,
    ("/v5/order/realtime", ""): 50,
    ("/v5/position/list", ""): 50,
    ("/v5/account/wallet-balance", ""): 50,
    ("/v5/position/set-leverage", ""): 10,
}
_BYBIT_DEFAULT_LIMIT = 10
_BYBIT_IP = (600, 5000)


def _bybit_bucket(ctx: AccountingContext, op: Op) -> tuple[str, int] | None:
    path = _BYBIT_PATHS.get(op)
    if path is None:
        return None
    category = "spot" if ctx.market is Market.SPOT else "linear"
    if (path, category) in _BYBIT_LIMITS:
        return f"acct:{ctx.account}:bybit:{path}:{category}", _BYBIT_LIMITS[(path, category)]
    return f"acct:{ctx.account}:bybit:{path}", _BYBIT_LIMITS.get((path, ""), _BYBIT_DEFAULT_LIMIT)


def _bybit_charges(ctx: AccountingContext, op: Op) -> list[Charge]:
    out = [Charge(f"ip:{ctx.ip}:bybit", 1, *_BYBIT_IP)]
    bucket = _bybit_bucket(ctx, op)
    if bucket is not None:
        out.append(Charge(bucket[0], 1, bucket[1], 1000))
    return out


def _bybit_observations(ctx: AccountingContext, op: Op, headers: Mapping[str, str]) -> list[Observation]:
    bucket = _bybit_bucket(ctx, op)
    if bucket is None:
        return []
    limit, remaining = _header(headers, "X-Bapi-Limit"), _header(headers, "X-Bapi-Limit-Status")
    if limit is None or remaining is None or not (limit.isdigit() and remaining.isdigit()):
        return []
    return [Observation(bucket[0], int(limit) - int(remaining), 1000, int(limit))]


# -- OKX -------------------------------------------------------------------------------------------

# op → (endpoint, requests per 2 s, counted per instrument)
_OKX: dict[Op, tuple[str, int, bool]] = {
    Op.PLACE: ("trade/order:post", 60, True),
    Op.CANCEL: ("trade/cancel-order", 60, True),
    Op.QUERY: ("trade/order:get", 60, True),
    Op.OPEN_ORDERS: ("trade/orders-pending", 60, False),
    Op.BALANCE: ("account/balance", 10, False),
    Op.POSITIONS: ("account/positions", 10, False),
    Op.LEVERAGE: ("account/set-leverage", 20, False),
}
_OKX_PUBLIC = {Op.TICKER: ("market/ticker", 20), Op.MARKETS: ("public/instruments", 20)}
_OKX_WINDOW_MS = 2000


def _okx_charges(ctx: AccountingContext, op: Op, symbol: str | None) -> list[Charge]:
    if op in _OKX_PUBLIC:
        name, limit = _OKX_PUBLIC[op]
        return [Charge(f"ip:{ctx.ip}:okx:{name}", 1, limit, _OKX_WINDOW_MS)]
    name, limit, per_instrument = _OKX[op]
    scope = f":{symbol}" if per_instrument and symbol else ""
    return [Charge(f"acct:{ctx.account}:okx:{name}{scope}", 1, limit, _OKX_WINDOW_MS)]


# -- dispatch --------------------------------------------------------------------------------------


def charges(ctx: AccountingContext, op: Op, symbol: str | None = None) -> list[Charge]:
    """The counters ``op`` moves on ``ctx.exchange`` and by how much."""
    if ctx.exchange == "binance":
        return _binance_charges(ctx, op, symbol)
    if ctx.exchange == "bybit":
        return _bybit_charges(ctx, op)
    if ctx.exchange == "okx":
        return _okx_charges(ctx, op, symbol)
    raise KeyError(f"exchange: no rate accounting for {ctx.exchange!r}")


def observations(ctx: AccountingContext, op: Op, headers: Mapping[str, str]) -> list[Observation]:
    """What the reply's headers (any case) say about the counters ``op`` moved."""
    if ctx.exchange == "binance":
        return _binance_observations(ctx, op, headers)
    if ctx.exchange == "bybit":
        return _bybit_observations(ctx, op, headers)
    return []  # OKX reports no usage: its replies are not read at all


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Header ``name`` (as the exchange documents it) in any case: as documented or in lower case
    (HTTP/2's) by one look-up each, else by comparing every name (a reply's headers are read on
    every request, and the cases the exchanges send are those two)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = headers.get(wanted)
        if value is None:
            value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value
