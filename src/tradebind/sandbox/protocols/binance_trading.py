"""Order and trade endpoints of Binance spot (``/api/v3``) and USDⓈ-M futures (``/fapi/v1``).

Parameter rules are Binance's: ``quantity``/``price`` match ``^([0-9]{1,20})(\\.[0-9]{1,20})?$``
(-1100), LIMIT needs ``price`` and ``timeInForce`` (-1102), ``newClientOrderId`` is unique among
open orders and follows ``^[a-zA-Z0-9-_]{1,36}$`` on spot (-1100) or
``^[\\.A-Z\\:/a-z0-9_-]{1,36}$`` on USDⓈ-M (-4015), and is generated when absent
(shared/reference/exchanges.md §1.6). Spot acks default to FULL for MARKET and LIMIT orders;
USDⓈ-M acks default to ACK (the order as accepted, before it filled).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..core import ErrorKind, Instrument, Market, Order, OrderType, SandboxError, Side, Venue
from . import binance_views as views
from .binance_errors import Api, BinanceError, illegal_characters, invalid_client_order_id
from .binance_http import Call
from .binance_limits import OrderCounter

_NUMBER = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
_NUMBER_RE = re.compile(_NUMBER)
SPOT_CLIENT_ID = r"^[a-zA-Z0-9-_]{1,36}$"
FUTURES_CLIENT_ID = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"
_CLIENT_ID_RE = {Market.SPOT: re.compile(SPOT_CLIENT_ID), Market.LINEAR: re.compile(FUTURES_CLIENT_ID)}
_NO_ORDER_REF = "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
_ALNUM = string.ascii_letters + string.digits
_TIME_IN_FORCE = {Market.SPOT: ("GTC", "IOC", "FOK"), Market.LINEAR: ("GTC", "IOC", "FOK", "GTX")}
_API = {Market.SPOT: Api.SPOT, Market.LINEAR: Api.FAPI}


def generated_client_id() -> str:
    """A client order id as Binance makes one when none is sent: 22 random letters and digits."""
    return "".join(secrets.choice(_ALNUM) for _ in range(22))


def decimal_param(call: Call, name: str, *, required: bool) -> Decimal | None:
    raw = call.require(name) if required else call.get(name)
    if raw is None:
        return None
    if not _NUMBER_RE.fullmatch(raw):
        raise illegal_characters(name, _NUMBER)
    return Decimal(raw)


def int_param(call: Call, name: str) -> int | None:
    raw = call.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise illegal_characters(name, "^[0-9]{1,19}$")
    return int(raw)


class Trading:
    """New, cancel and query handlers for one market (spot or USDⓈ-M) of a venue."""

    def __init__(self, venue: Venue, market: Market, order_counts: OrderCounter) -> None:
        self.venue = venue
        self.market = market
        self.api = _API[market]
        self.order_counts = order_counts
        self._by_symbol = {views.wire_symbol(i): i for i in venue.catalog.of(market)}

    # helpers ----------------------------------------------------------------------------------

    def instrument(self, call: Call) -> Instrument:
        inst = self._by_symbol.get(call.require("symbol"))
        if inst is None:
            raise SandboxError(ErrorKind.UNKNOWN_SYMBOL)
        return inst

    def _view(self, order: Order, inst: Instrument) -> dict[str, Any]:
        return views.spot_order(order, inst) if self.market is Market.SPOT else views.futures_order(order, inst)

    def _client_id(self, call: Call) -> str:
        given = call.get("newClientOrderId")
        if given is None:
            return generated_client_id()
        if not _CLIENT_ID_RE[self.market].fullmatch(given):
            if self.market is Market.LINEAR:
                raise invalid_client_order_id()
            raise illegal_characters("newClientOrderId", SPOT_CLIENT_ID)
        return given

    def _check_positive(self, qty: Decimal, price: Decimal | None) -> None:
        # Spot answers -1013 (spot errors.md); USDⓈ-M has codes of its own (-4003, -4001).
        futures = self.market is Market.LINEAR
        if qty <= 0:
            raise (
                BinanceError(400, -4003, "Quantity less than or equal to zero.")
                if futures
                else BinanceError(400, -1013, "Invalid quantity.")
            )
        if price is not None and price <= 0:
            raise (
                BinanceError(400, -4001, "Price less than 0.")
                if futures
                else BinanceError(400, -1013, "Invalid price.")
            )

    def _order_ref(self, call: Call) -> tuple[int | None, str | None]:
        order_id = int_param(call, "orderId")
        client_id = call.get("origClientOrderId")
        if order_id is None and client_id is None:
            raise BinanceError(
                400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
            )
        return order_id, client_id

    # handlers ---------------------------------------------------------------------------------

    def new_order(self, call: Call) -> dict[str, Any]:
        """``POST /api/v3/order`` and ``POST /fapi/v1/order``."""
        inst = self.instrument(call)
        side = call.require("side")
        if side not in ("BUY", "SELL"):
            raise illegal_characters("side", "BUY, SELL")
        type_name = call.require("type")
        if type_name not in ("LIMIT", "MARKET"):
            raise BinanceError(400, -1116, "Invalid orderType.")
        order_type = OrderType[type_name]
        qty = decimal_param(call, "quantity", required=True)
        assert qty is not None
        price = decimal_param(call, "price", required=order_type is OrderType.LIMIT)
        self._check_positive(qty, price if order_type is OrderType.LIMIT else None)
        tif = call.require("timeInForce") if order_type is OrderType.LIMIT else "GTC"
        if tif not in _TIME_IN_FORCE[self.market]:
            raise BinanceError(400, -1115, "Invalid timeInForce.")
        reduce_only = call.get("reduceOnly") == "true"
        client_id = self._client_id(call)
        call.headers.update(self.order_counts.charge(self.api, call.acct.account_id, call.now_ms))
        try:
            order = self.venue.place_order(
                call.acct.account_id, inst.exchange_id, Side[side], order_type, qty,
                price if order_type is OrderType.LIMIT else None, client_id,
                time_in_force=tif, reduce_only=reduce_only,
            )  # fmt: skip
        except SandboxError as exc:
            if exc.kind is ErrorKind.FILTER_FAILURE and exc.detail == "NOTIONAL" and self.market is Market.LINEAR:
                raise SandboxError(ErrorKind.FILTER_FAILURE, f"NOTIONAL:{views.plain(inst.min_notional)}") from None
            raise
        return self._ack(call, order, inst)

    def _ack(self, call: Call, order: Order, inst: Instrument) -> dict[str, Any]:
        if self.market is Market.SPOT:
            kind = call.get("newOrderRespType") or "FULL"
            if kind == "ACK":
                return {"symbol": views.wire_symbol(inst), "orderId": order.order_id, "orderListId": -1,
                        "clientOrderId": order.client_order_id, "transactTime": order.created_ms}  # fmt: skip
            return views.spot_order(order, inst, full=kind == "FULL")
        body = views.futures_order(order, inst)
        if (call.get("newOrderRespType") or "ACK") == "ACK":
            # ACK is the order as accepted: Binance has not reported any fill yet.
            body.update(status="NEW", executedQty="0", cumQty="0", cumQuote="0", avgPrice="0")
        return body

    def cancel_order(self, call: Call) -> dict[str, Any]:
        """``DELETE /api/v3/order`` and ``DELETE /fapi/v1/order``."""
        inst = self.instrument(call)
        order_id, client_id = self._order_ref(call)
        if not call.acct.may_trade:
            raise SandboxError(ErrorKind.ACCOUNT_RESTRICTED)
        try:
            order = self.venue.cancel_order(call.acct.account_id, inst.exchange_id, order_id, client_id)
        except SandboxError as exc:
            if exc.kind is ErrorKind.ORDER_NOT_FOUND:
                raise SandboxError(ErrorKind.CANCEL_REJECTED) from None
            raise
        if self.market is Market.SPOT:
            return views.spot_cancel(order, inst, call.get("newClientOrderId") or generated_client_id())
        return views.futures_order(order, inst)

    def query_order(self, call: Call) -> dict[str, Any]:
        """``GET /api/v3/order`` and ``GET /fapi/v1/order``: by ``orderId`` or ``origClientOrderId``."""
        inst = self.instrument(call)
        order_id, client_id = self._order_ref(call)
        order = self.venue.find_order(call.acct.account_id, inst.exchange_id, order_id, client_id)
        return self._view(order, inst)

    def open_orders(self, call: Call) -> list[dict[str, Any]]:
        """``GET .../openOrders``, of one symbol or of the whole market."""
        inst = self.instrument(call) if call.get("symbol") else None
        orders = self.venue.open_orders(call.acct.account_id, inst.exchange_id if inst else None, self.market)
        return [self._view(o, self.venue.catalog.get(o.instrument_id)) for o in orders]

    def all_orders(self, call: Call) -> list[dict[str, Any]]:
        """``GET .../allOrders`` of one symbol, oldest first, from ``orderId`` on."""
        inst = self.instrument(call)
        start = int_param(call, "orderId") or 0
        orders = [
            o
            for o in self.venue.orders_of(call.acct.account_id)
            if o.instrument_id == inst.exchange_id and o.order_id >= start and self._in_time(call, o.created_ms)
        ]
        return [self._view(o, inst) for o in orders[-self._limit(call) :]]

    def trades(self, call: Call) -> list[dict[str, Any]]:
        """``GET /api/v3/myTrades`` and ``GET /fapi/v1/userTrades`` of one symbol."""
        inst = self.instrument(call)
        order_id = int_param(call, "orderId")
        from_id = int_param(call, "fromId") or 0
        fills = [
            f
            for f in self.venue.fills_of(call.acct.account_id, inst.exchange_id)
            if (order_id is None or f.order_id == order_id) and f.trade_id >= from_id and self._in_time(call, f.time_ms)
        ]
        fills.sort(key=lambda f: f.trade_id)
        render: Callable[..., dict[str, Any]] = views.spot_trade if self.market is Market.SPOT else views.futures_trade
        return [render(f, inst) for f in fills[-self._limit(call) :]]

    @staticmethod
    def _in_time(call: Call, ms: int) -> bool:
        start, end = int_param(call, "startTime"), int_param(call, "endTime")
        return (start is None or ms >= start) and (end is None or ms <= end)

    @staticmethod
    def _limit(call: Call) -> int:
        return max(1, min(int_param(call, "limit") or 500, 1000))
