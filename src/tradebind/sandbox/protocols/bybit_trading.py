"""Bybit v5 trading endpoints: orders (``/v5/order/*``), positions and leverage (``/v5/position/*``).

Facts from Bybit's docs (order/create-order.mdx, order/open-order.mdx, order/cancel-order.mdx,
position/position.mdx, position/leverage.mdx; exchanges.md §3.6): ``orderLinkId`` is at most 36
characters of ``[A-Za-z0-9_-]`` and is never reused (110072); ``/v5/order/realtime`` answers open
orders, or any recent order when asked by ``orderId`` / ``orderLinkId``; market orders on spot
count ``qty`` in ``marketUnit`` (default: quote coin for buys, base coin for sells).
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ..core import ErrorKind, FaultKind, Instrument, Market, Order, OrderType, Permission, SandboxError, Side, Venue
from . import bybit_views as views
from .bybit_pipeline import Call, Dropped

LINK_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
TIME_IN_FORCE = {"GTC": "GTC", "IOC": "IOC", "FOK": "FOK", "PostOnly": "GTC"}
RECENT_CLOSED = 500  # "recent closed orders (max 500 per account per category) are kept"


def after_accept(venue: Venue) -> None:
    """Faults that strike once the exchange has acted: the client never learns the outcome."""
    if venue.faults.trip(FaultKind.DROP_AFTER_ACCEPT):
        raise Dropped
    if venue.faults.trip(FaultKind.SERVER_ERROR):
        raise SandboxError(ErrorKind.UNKNOWN_EXECUTION)


class Trading:
    """Handlers for one venue."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue

    # helpers ----------------------------------------------------------------------------------

    def _category(self, call: Call, *allowed: str) -> str:
        category = call.text("category")
        if category not in ("spot", "linear", "inverse", "option"):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "category is invalid")
        if category not in allowed:
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"category only support {', '.join(allowed)}")
        return category

    def _instrument(self, call: Call, category: str) -> Instrument:
        symbol = call.text("symbol")
        inst = self.venue.catalog.find(views.instrument_id(category, symbol))
        if inst is None or category not in views.CATEGORIES:
            raise SandboxError(ErrorKind.UNKNOWN_SYMBOL, symbol)
        return inst

    def _instruments(self, call: Call, category: str) -> list[Instrument]:
        if call.params.get("symbol"):
            return [self._instrument(call, category)]
        market = views.CATEGORIES.get(category)
        return self.venue.catalog.of(market) if market else []

    @staticmethod
    def _trade_permission(inst: Instrument) -> Permission:
        return Permission.SPOT_TRADE if inst.market is Market.SPOT else Permission.FUTURES_TRADE

    # orders ------------------------------------------------------------------------------------

    def create_order(self, call: Call) -> dict[str, Any]:
        key, acct = call.owner
        category = self._category(call, "spot", "linear", "inverse", "option")
        inst = self._instrument(call, category)
        self.venue.require(key, self._trade_permission(inst))
        side = {"Buy": Side.BUY, "Sell": Side.SELL}.get(call.text("side"))
        type_ = {"Market": OrderType.MARKET, "Limit": OrderType.LIMIT}.get(call.text("orderType"))
        if side is None:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "side must be Buy or Sell")
        if type_ is None:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "orderType must be Market or Limit")
        link_id = call.text("orderLinkId", "")
        if link_id and not LINK_ID.match(link_id):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "orderLinkId: up to 36 of A-Z a-z 0-9 _ -")
        tif = TIME_IN_FORCE.get(call.text("timeInForce", "GTC"))
        if tif is None:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "timeInForce must be GTC, IOC, FOK or PostOnly")
        price = call.decimal("price") if type_ is OrderType.LIMIT else None
        qty = self._base_qty(call, inst, side, type_)
        order = self.venue.place_order(
            acct.account_id,
            inst.exchange_id,
            side,
            type_,
            qty,
            price,
            link_id,
            time_in_force="IOC" if type_ is OrderType.MARKET else tif,
            reduce_only=call.flag("reduceOnly") and inst.market is Market.LINEAR,
        )
        after_accept(self.venue)
        return {"orderId": str(order.order_id), "orderLinkId": order.client_order_id}

    def _base_qty(self, call: Call, inst: Instrument, side: Side, type_: OrderType) -> Decimal:
        qty = call.decimal("qty")
        if inst.market is Market.LINEAR or type_ is OrderType.LIMIT:
            return qty
        default_unit = "quoteCoin" if side is Side.BUY else "baseCoin"
        unit = call.text("marketUnit", default_unit)
        if unit not in ("baseCoin", "quoteCoin"):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "marketUnit must be baseCoin or quoteCoin")
        if unit == "baseCoin" or qty <= 0:
            return qty
        # A quote amount buys as much base as it covers at the current price, in whole lots.
        base = qty / self.venue.prices.get(inst.pair)
        return (base / inst.lot_size).to_integral_value(rounding=ROUND_DOWN) * inst.lot_size

    def cancel_order(self, call: Call) -> dict[str, Any]:
        key, acct = call.owner
        inst = self._instrument(call, self._category(call, "spot", "linear", "inverse", "option"))
        self.venue.require(key, self._trade_permission(inst))
        order_id, link_id = self._order_ref(call)
        if order_id is None and link_id is None:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "orderId or orderLinkId is required")
        if order_id == -1:
            raise SandboxError(ErrorKind.ORDER_NOT_FOUND)
        try:
            order = self.venue.cancel_order(acct.account_id, inst.exchange_id, order_id, link_id)
        except SandboxError as exc:
            # Bybit answers a closed order as it answers a missing one.
            if exc.kind is ErrorKind.ORDER_NOT_FOUND:
                raise SandboxError(ErrorKind.CANCEL_REJECTED) from None
            raise
        after_accept(self.venue)
        return {"orderId": str(order.order_id), "orderLinkId": order.client_order_id}

    @staticmethod
    def _order_ref(call: Call) -> tuple[int | None, str | None]:
        """(orderId, orderLinkId) as given; orderId -1 when it is not a number (never matches)."""
        raw_id = call.text("orderId", "")
        link_id = call.text("orderLinkId", "") or None
        if not raw_id:
            return None, link_id
        return (int(raw_id) if raw_id.isdigit() else -1), None  # orderId takes priority

    def open_orders(self, call: Call) -> dict[str, Any]:
        _, acct = call.owner
        category = self._category(call, "spot", "linear", "inverse", "option")
        insts = self._instruments(call, category)
        order_id, link_id = self._order_ref(call)
        found: list[Order] = []
        if order_id is not None or link_id is not None:
            # By id the order is found whatever its status ("openOnly is ignored").
            for inst in insts:
                try:
                    found.append(self.venue.find_order(acct.account_id, inst.exchange_id, order_id, link_id))
                    break
                except SandboxError:
                    continue
        elif call.text("openOnly", "0") == "0":
            ids = {i.exchange_id for i in insts}
            found = [o for o in self.venue.open_orders(acct.account_id) if o.instrument_id in ids]
        else:
            ids = {i.exchange_id for i in insts}
            closed = [
                o for o in self.venue.orders_of(acct.account_id) if o.instrument_id in ids and not o.status.is_open
            ]
            found = closed[-RECENT_CLOSED:]
        found.sort(key=lambda o: (o.created_ms, o.order_id), reverse=True)
        rows = [views.order(o, self.venue.catalog.get(o.instrument_id)) for o in found[: self._limit(call, 20, 50)]]
        return {"category": category, "list": rows, "nextPageCursor": ""}

    def order_history(self, call: Call) -> dict[str, Any]:
        """``/v5/order/history``: the account's orders of any status, newest first."""
        _, acct = call.owner
        category = self._category(call, "spot", "linear", "inverse", "option")
        ids = {i.exchange_id for i in self._instruments(call, category)}
        order_id, link_id = self._order_ref(call)
        wanted = call.text("orderStatus", "")
        start, end = self._time_range(call)
        found = [
            o
            for o in self.venue.orders_of(acct.account_id)
            if o.instrument_id in ids
            and (order_id is None or o.order_id == order_id)
            and (link_id is None or o.client_order_id == link_id)
            and start <= o.created_ms <= end
        ]
        rows = [views.order(o, self.venue.catalog.get(o.instrument_id)) for o in found]
        if wanted:
            rows = [r for r in rows if r["orderStatus"] == wanted]
        rows.sort(key=lambda r: (int(r["createdTime"]), int(r["orderId"])), reverse=True)
        return {"category": category, "list": rows[: self._limit(call, 20, 50)], "nextPageCursor": ""}

    def executions(self, call: Call) -> dict[str, Any]:
        """``/v5/execution/list``: the account's fills, newest first."""
        _, acct = call.owner
        category = self._category(call, "spot", "linear", "inverse", "option")
        order_id, link_id = self._order_ref(call)
        start, end = self._time_range(call)
        rows = []
        for inst in self._instruments(call, category):
            for o in self.venue.orders_of(acct.account_id):
                if o.instrument_id != inst.exchange_id or (order_id is not None and o.order_id != order_id):
                    continue
                if link_id is not None and o.client_order_id != link_id:
                    continue
                rows += [views.execution(f, o, inst) for f in o.fills if start <= f.time_ms <= end]
        rows.sort(key=lambda r: (int(r["execTime"]), r["seq"]), reverse=True)
        return {"category": category, "list": rows[: self._limit(call, 50, 100)], "nextPageCursor": ""}

    def _time_range(self, call: Call) -> tuple[int, int]:
        # Without times Bybit answers the last 7 days (order/order-list.mdx, order/execution.mdx).
        now = self.venue.clock.now_ms()
        end = int(call.decimal("endTime", str(now)))
        start = int(call.decimal("startTime", str(end - 7 * 86_400_000)))
        return start, end

    @staticmethod
    def _limit(call: Call, default: int, most: int) -> int:
        limit = int(call.decimal("limit", str(default)))
        if not 1 <= limit <= most:
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"limit must be 1..{most}")
        return limit

    # positions --------------------------------------------------------------------------------

    def positions(self, call: Call) -> dict[str, Any]:
        _, acct = call.owner
        category = self._category(call, "linear", "inverse", "option")
        symbol_given = bool(call.params.get("symbol"))
        if not symbol_given and not (call.params.get("settleCoin") or call.params.get("baseCoin")):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "symbol or settleCoin is required")
        settle, base = call.params.get("settleCoin"), call.params.get("baseCoin")
        rows = []
        now = self.venue.clock.now_ms()
        for inst in self._instruments(call, category):
            if (settle and inst.settle != settle) or (base and inst.base != base):
                continue
            pos = acct.positions.get(inst.exchange_id)
            if pos is None or pos.qty == 0:
                if not symbol_given:
                    continue
                pos = acct.position(inst.exchange_id)
            mark = self.venue.prices.get(inst.pair)
            rows.append(views.position(pos, inst, mark, self.venue.leverage(acct, inst), now))
        return {"category": category, "list": rows, "nextPageCursor": ""}

    def set_leverage(self, call: Call) -> dict[str, Any]:
        key, acct = call.owner
        inst = self._instrument(call, self._category(call, "linear", "inverse"))
        self.venue.require(key, Permission.FUTURES_TRADE)
        buy, sell = call.decimal("buyLeverage"), call.decimal("sellLeverage")
        if buy != sell:
            # One-way mode: "buyLeverage must be equal to sellLeverage" (position/leverage.mdx).
            raise SandboxError(ErrorKind.BAD_PARAMETER, "buyLeverage must be equal to sellLeverage")
        if buy % 1 != 0:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "the sandbox supports whole leverage values only")
        self.venue.set_leverage(acct.account_id, inst.exchange_id, int(buy))
        return {}
