"""Orders through ccxt's unified methods, per exchange: client-id parameters, look-up by client
id, outcome classes of failures, and ccxt orders as :class:`OrderResult`.

Facts (shared/reference/exchanges.md §1.6, §2.6, §3.6; codes as the sandbox and the exchanges
send them):

- Unknown outcome ("the request may or may not have been carried out"): any ccxt
  ``NetworkError`` except the definite refusals below (timeouts, dropped connections, HTTP 5xx),
  and the codes Binance -1007, OKX 51149 / 50004, Bybit 10016. Bybit answers maintenance with
  10016 too, so a Bybit maintenance refusal is reconciled like an unknown outcome: slower, never
  wrong.
- Definite refusals that were not executed: rate limits (ccxt ``RateLimitExceeded`` /
  ``DDoSProtection``), maintenance (``OnMaintenance``), and timestamp errors (``InvalidNonce``).
- Duplicate client id: Binance -2010 "Duplicate order sent." (spot) / -4116 (USDⓈ-M), OKX 51016,
  Bybit 110072. Not found: ccxt ``OrderNotFound`` (Binance -2013, OKX 51603, Bybit 110001).
- Look-up by client id: Binance ``origClientOrderId``; OKX ``clOrdId``; Bybit
  ``GET /v5/order/realtime?orderLinkId=`` (recent closed orders included).
- An order request expires on the exchange once its timestamp is older than the receive window
  (Binance ``recvWindow`` 5000 ms as the adapter sets it, Bybit ``X-BAPI-RECV-WINDOW`` 5000 ms
  default, OKX 30 s): after that, an order not found by client id can never appear.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt

from ..domain.market import Market
from ..exchanges.errors import Failure
from .api import OrderIntent, OrderKind, OrderResult, OrderSide, OrderState

__all__ = [
    "EXPIRY_MS",
    "contract_size",
    "is_duplicate",
    "is_unknown_outcome",
    "market_of",
    "order_params",
    "order_result",
    "query_by_client_id",
]

_UNKNOWN_CODES = {"-1007", "51149", "50004", "10016"}
_DUPLICATE_CODES = {"-2010": "Duplicate order", "-4116": "", "51016": "", "110072": ""}
_DEFINITE = (ccxt.RateLimitExceeded, ccxt.DDoSProtection, ccxt.OnMaintenance, ccxt.InvalidNonce)

# How long after sending an order request it can still be carried out (receive window + margin
# for the clocks' difference).
EXPIRY_MS = {"binance": 5000 + 1500, "bybit": 5000 + 1500, "okx": 30_000 + 1500}


def market_of(symbol: str) -> Market:
    """ccxt unified symbols of linear contracts carry the settle currency: ``BTC/USDT:USDT``."""
    return Market.FUTURES if ":" in symbol else Market.SPOT


def is_unknown_outcome(exc: BaseException, failure: Failure) -> bool:
    """True when ``exc`` leaves open whether the exchange carried the request out."""
    if failure.code in _UNKNOWN_CODES:
        return True
    if isinstance(exc, _DEFINITE):
        return False
    return isinstance(exc, ccxt.NetworkError)


def is_duplicate(failure: Failure) -> bool:
    if failure.code not in _DUPLICATE_CODES:
        return False
    fragment = _DUPLICATE_CODES[failure.code]
    return not fragment or fragment in failure.message


def order_params(exchange: str, intent: OrderIntent, client_order_id: str) -> dict[str, Any]:
    """ccxt ``create_order`` params: the client id (ccxt maps ``clientOrderId`` to each
    exchange's field) and reduce-only for contracts."""
    params: dict[str, Any] = {"clientOrderId": client_order_id}
    if intent.reduce_only:
        params["reduceOnly"] = True
    return params


async def query_by_client_id(client: Any, exchange: str, symbol: str, client_order_id: str) -> dict[str, Any] | None:
    """The ccxt order with ``client_order_id``, or None when the exchange has never seen it.

    Raises ccxt errors other than "not found" (the caller classifies them).
    """
    if exchange == "bybit":
        market = client.market(symbol)
        response = await client.privateGetV5OrderRealtime(
            {
                "category": "spot" if market_of(symbol) is Market.SPOT else "linear",
                "symbol": market["id"],
                "orderLinkId": client_order_id,
            }
        )
        rows = (response.get("result") or {}).get("list") or []
        return client.parse_order(rows[0], market) if rows else None
    key = "origClientOrderId" if exchange == "binance" else "clOrdId"
    try:
        return await client.fetch_order(None, symbol, {key: client_order_id})  # type: ignore[no-any-return]
    except ccxt.OrderNotFound:
        return None


def _decimal(value: object) -> Decimal | None:
    """ccxt's number (a float, or text) as the Decimal its text says; None for none."""
    kind = type(value)
    if kind is float or kind is str:
        # Kept: amounts and prices repeat from order to order, and a Decimal costs a microsecond
        # to make (immutable, so one can be shared). By type: 1.0 and "1" are kept apart. A
        # plain dict, emptied when full: a hit moves nothing (lru_cache relinks on every hit).
        kept = _FLOATS if kind is float else _TEXTS
        found = kept.get(value)
        if found is not None:
            return found
        if value == "":
            return None
        if len(kept) >= _KEEP:
            kept.clear()
        found = kept[value] = Decimal(str(value))
        return found
    if value is None:
        return None
    return Decimal(str(value))


_KEEP = 4096
_FLOATS: dict[object, Decimal] = {}
_TEXTS: dict[object, Decimal] = {}


_STATES = {"open": OrderState.OPEN, "closed": OrderState.FILLED, "canceled": OrderState.CANCELED,
           "expired": OrderState.CANCELED, "rejected": OrderState.REJECTED}  # fmt: skip
_SIDES = {side.value: side for side in OrderSide}
_ZERO = Decimal(0)
_ONE = Decimal(1)  # the size of everything but a contract: amounts are used as ccxt gives them


def contract_size(markets: dict[str, Any] | None, symbol: str) -> Decimal:
    """Base units per ccxt amount unit (from ccxt's loaded markets): 1 for spot and for Binance /
    Bybit linear contracts, the contract size for OKX swaps (``BTC-USDT-SWAP``: 0.01 BTC)."""
    market = (markets or {}).get(symbol) or {}
    size = market.get("contractSize") if market.get("contract") else None
    return Decimal(str(size)) if size else _ONE


def order_result(order: dict[str, Any], client_order_id: str | None = None, size: Decimal = _ONE) -> OrderResult:
    """A ccxt unified order as the gateway's :class:`OrderResult`: amounts in base units (ccxt
    amounts × ``size``, see :func:`contract_size`), fees in the quote currency."""
    get = order.get
    symbol = str(get("symbol") or "")
    average = _decimal(get("average"))
    amount = _decimal(get("amount")) or _ZERO
    filled = _decimal(get("filled")) or _ZERO
    if size is not _ONE:
        amount, filled = amount * size, filled * size
    side = str(get("side") or "buy")
    fees = get("fees") or ([order["fee"]] if get("fee") else None)
    # Positional, in field order: made for every order request, and keywords cost a named tuple
    # twice as much.
    return OrderResult(
        str(get("clientOrderId") or client_order_id or ""),  # client_order_id
        str(get("id") or ""),  # exchange_order_id
        symbol,
        _SIDES.get(side) or OrderSide(side),
        OrderKind.MARKET if get("type") == "market" else OrderKind.LIMIT,
        _STATES.get(str(get("status")), OrderState.OPEN),
        amount,
        filled,
        average,  # average_price
        _decimal(get("price")),
        _fee_quote(fees, symbol, average) if fees else _ZERO,
    )


def _fee_quote(fees: list[Any], symbol: str, average: Decimal | None) -> Decimal:
    """An order's ``fees`` (ccxt's) in the quote currency (a fee in the base currency at the
    average price)."""
    base, _, rest = symbol.partition("/")
    quote = rest.split(":")[0]
    total = _ZERO
    for fee in fees:
        cost = _decimal(fee.get("cost")) if isinstance(fee, dict) else None
        if cost is None:
            continue
        currency = fee.get("currency")
        if currency == quote:
            total += cost
        elif currency == base and average is not None:
            total += cost * average
    return total
