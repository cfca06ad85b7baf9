"""OKX v5 endpoints: public data, account and funding, trading. Each handler returns OKX's envelope.

Rate limits are OKX's documented ones (per User ID for private endpoints, per instrument for
trade endpoints; exchanges.md §2.5 and each endpoint's page under https://www.okx.com/docs-v5/en/).
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from ..core import ErrorKind, FaultKind, Instrument, Market, OrderType, Permission, SandboxError, Side, Venue
from .okx_errors import ERRORS, TRANSFER_INSUFFICIENT, batch_envelope, envelope, item_failure, row_for
from .okx_pipeline import Call, Endpoint, Pipeline, ok
from .okx_views import (
    ACCOUNT_IDS,
    INST_TYPES,
    account_config_view,
    currency_views,
    funding_balance_views,
    instrument_view,
    num,
    order_view,
    position_view,
    trading_balance_view,
    usd_price,
)
from .wire import json_response

V5 = "/api/v5"
LIST_TIME_MS = 1_548_133_413_000
# clOrdId: "case-sensitive alphanumerics, all numbers, or all letters of up to 32 characters".
_CL_ORD_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_ANONYMOUS = "okx-no-clordid-"  # core client id of orders placed without clOrdId (never valid on OKX)
_INST_TYPES = ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")
# ordType → (core order type, time in force). optimal_limit_ioc is OKX's market-for-contracts.
_ORD_TYPES = {
    "market": (OrderType.MARKET, "GTC"),
    "optimal_limit_ioc": (OrderType.MARKET, "IOC"),
    "limit": (OrderType.LIMIT, "GTC"),
    "post_only": (OrderType.LIMIT, "GTC"),
    "ioc": (OrderType.LIMIT, "IOC"),
    "fok": (OrderType.LIMIT, "FOK"),
}


# Every route with OKX's documented limit (requests, window ms) and the handler method answering it.
ROUTES: tuple[tuple[Endpoint, str], ...] = (
    (Endpoint("GET", f"{V5}/public/time", 10, 2000, private=False, during_maintenance=True), "time"),
    (Endpoint("GET", f"{V5}/system/status", 1, 5000, private=False, during_maintenance=True), "status"),
    (Endpoint("GET", f"{V5}/public/instruments", 20, 2000, private=False), "instruments"),
    (Endpoint("GET", f"{V5}/market/ticker", 20, 2000, private=False), "ticker"),
    (Endpoint("GET", f"{V5}/asset/currencies", 6, 1000), "currencies"),
    (Endpoint("GET", f"{V5}/account/config", 5, 2000), "config"),
    (Endpoint("GET", f"{V5}/account/balance", 10, 2000), "balance"),
    (Endpoint("GET", f"{V5}/asset/balances", 6, 1000), "funding_balance"),
    (Endpoint("GET", f"{V5}/asset/asset-valuation", 1, 1000), "valuation"),
    (Endpoint("POST", f"{V5}/asset/transfer", 2, 1000, permission=Permission.TRANSFER, kind="write"), "transfer"),
    (Endpoint("GET", f"{V5}/account/positions", 10, 2000), "positions"),
    (Endpoint("POST", f"{V5}/account/set-leverage", 20, 2000, permission=Permission.FUTURES_TRADE, kind="write"),
     "set_leverage"),
    # Trade permission is checked per instrument (spot or swap) inside the handlers.
    (Endpoint("POST", f"{V5}/trade/order", 60, 2000, permission=None, kind="order", per_instrument=True),
     "place_one"),
    (Endpoint("POST", f"{V5}/trade/batch-orders", 300, 2000, permission=None, kind="order", per_instrument=True),
     "place_batch"),
    (Endpoint("POST", f"{V5}/trade/cancel-order", 60, 2000, permission=None, kind="write", per_instrument=True),
     "cancel"),
    (Endpoint("GET", f"{V5}/trade/order", 60, 2000, per_instrument=True), "order"),
    (Endpoint("GET", f"{V5}/trade/orders-pending", 60, 2000), "pending"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OrderMeta:
    """What OKX echoes back about an order that the neutral core does not keep."""

    ord_type: str
    tgt_ccy: str
    cl_ord_id: str
    tag: str


def decimal_param(value: object, name: str, *, positive: bool = True) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SandboxError(ErrorKind.BAD_PARAMETER, name) from None
    if not number.is_finite() or (positive and number <= 0):
        raise SandboxError(ErrorKind.BAD_PARAMETER, name)
    return number


class OkxApi:
    """The OKX sub-application over one venue."""

    def __init__(self, venue: Venue, mount: str) -> None:
        self.venue = venue
        self.pipeline = Pipeline(venue, mount)
        self._meta: dict[int, OrderMeta] = {}
        self._transfer_ids = itertools.count(100_000_001)

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes([self.pipeline.route(endpoint, getattr(self, handler)) for endpoint, handler in ROUTES])
        app.router.add_route("*", "/{tail:.*}", self.unknown_endpoint)
        return app

    @staticmethod
    async def unknown_endpoint(request: web.Request) -> web.Response:
        """Paths the sandbox does not serve answer in OKX's envelope, not with a bare 404 page."""
        row = ERRORS[ErrorKind.NOT_FOUND]
        return json_response(envelope(row), status=row.http)

    # public -------------------------------------------------------------------------------------

    async def time(self, call: Call) -> dict[str, Any]:
        return ok([{"ts": str(self.venue.clock.now_ms())}])

    async def status(self, call: Call) -> dict[str, Any]:
        """Empty while all is well; an ``ongoing`` unscheduled event during the maintenance fault."""
        if self.venue.faults.get(FaultKind.MAINTENANCE) is None:
            return ok([])
        now = self.venue.clock.now_ms()
        event = {
            "begin": str(now - 60_000),
            "end": str(now + 3_600_000),
            "href": "",
            "maintType": "2",
            "env": "1",
            "preOpenBegin": "",
            "scheDesc": "",
            "serviceType": "5",
            "state": "ongoing",
            "system": "unified",
            "title": "Trading service unavailable",
        }
        return ok([event])

    async def instruments(self, call: Call) -> dict[str, Any]:
        inst_type = call.param("instType")
        if inst_type not in _INST_TYPES:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "instType")
        if inst_type == "OPTION" and not (call.param("uly") or call.param("instFamily")):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "uly")
        wanted = {"instId": call.param("instId"), "uly": call.param("uly"), "instFamily": call.param("instFamily")}
        views = []
        for inst in self.venue.catalog:
            view = instrument_view(inst, LIST_TIME_MS)
            if view["instType"] == inst_type and all(not v or view[k] == v for k, v in wanted.items()):
                views.append(view)
        return ok(views)

    async def ticker(self, call: Call) -> dict[str, Any]:
        inst = self.venue.catalog.get(call.param("instId") or "-")
        last = num(self.venue.prices.get(inst.pair))
        now = str(self.venue.clock.now_ms())
        return ok(
            [
                {
                    "instType": INST_TYPES[inst.market], "instId": inst.exchange_id, "last": last, "lastSz": "0",
                    "askPx": last, "askSz": "0", "bidPx": last, "bidSz": "0", "open24h": last, "high24h": last,
                    "low24h": last, "volCcy24h": "0", "vol24h": "0", "sodUtc0": last, "sodUtc8": last, "ts": now,
                }
            ]
        )  # fmt: skip

    # account and funding ------------------------------------------------------------------------

    async def currencies(self, call: Call) -> dict[str, Any]:
        return ok(currency_views(self.venue))

    async def config(self, call: Call) -> dict[str, Any]:
        key, acct = call.who()
        return ok([account_config_view(self.venue, key, acct)])

    async def balance(self, call: Call) -> dict[str, Any]:
        _, acct = call.who()
        wallet = self.venue.layout.wallet_for(Market.SPOT)
        return ok([trading_balance_view(self.venue, acct, wallet, _ccys(call))])

    async def funding_balance(self, call: Call) -> dict[str, Any]:
        _, acct = call.who()
        return ok(funding_balance_views(acct, self.venue.layout.funding, _ccys(call)))

    async def valuation(self, call: Call) -> dict[str, Any]:
        """Total assets per account type, in ``ccy`` (default BTC), valued at current prices."""
        _, acct = call.who()
        ccy = call.param("ccy") or "BTC"
        unit = usd_price(self.venue, ccy)
        if unit == 0:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "ccy")
        trading = trading_balance_view(self.venue, acct, self.venue.layout.wallet_for(Market.SPOT), None)
        funding = sum(
            (b.total * usd_price(self.venue, c) for c, b in acct.assets(self.venue.layout.funding).items()),
            Decimal(0),
        )
        parts = {"funding": funding / unit, "trading": Decimal(trading["totalEq"]) / unit}
        details = {"classic": "0", "earn": "0", **{k: num(v) for k, v in parts.items()}}
        total = num(sum(parts.values(), Decimal(0)))
        return ok([{"details": details, "totalBal": total, "ts": str(self.venue.clock.now_ms())}])

    async def transfer(self, call: Call) -> dict[str, Any]:
        """Type 0 (within the account) between Funding (6) and Trading (18)."""
        _, acct = call.who()
        if call.param("type") not in ("", "0"):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "type")
        source, target = ACCOUNT_IDS.get(call.param("from")), ACCOUNT_IDS.get(call.param("to"))
        if source is None:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "from")
        if target is None or target == source:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "to")
        ccy = call.param("ccy")
        if not ccy:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "ccy")
        amount = decimal_param(call.param("amt"), "amt")
        try:
            self.venue.transfer(acct.account_id, ccy, amount, source, target)
        except SandboxError as exc:
            if exc.kind is ErrorKind.INSUFFICIENT_BALANCE:
                return {"code": TRANSFER_INSUFFICIENT.code, "msg": TRANSFER_INSUFFICIENT.msg, "data": []}
            raise
        trans = {
            "transId": str(next(self._transfer_ids)),
            "ccy": ccy,
            "clientId": call.param("clientId"),
            "from": call.param("from"),
            "amt": num(amount),
            "to": call.param("to"),
        }
        return ok([trans])

    async def positions(self, call: Call) -> dict[str, Any]:
        _, acct = call.who()
        inst_type = call.param("instType")
        if inst_type and inst_type not in _INST_TYPES:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "instType")
        ids = {i for i in call.param("instId").split(",") if i}
        views = []
        for pos in acct.open_positions():
            inst = self.venue.catalog.get(pos.instrument_id)
            if (not ids or inst.exchange_id in ids) and inst_type in ("", INST_TYPES[inst.market]):
                views.append(position_view(self.venue, acct, inst))
        return ok(views)

    async def set_leverage(self, call: Call) -> dict[str, Any]:
        _, acct = call.who()
        inst = self.venue.catalog.get(call.param("instId") or "-")
        if call.param("mgnMode") != "cross":
            # The sandbox keeps one cross-margined net position per instrument.
            raise SandboxError(ErrorKind.BAD_PARAMETER, "mgnMode")
        try:
            lever = int(call.param("lever"))
        except ValueError:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "lever") from None
        if inst.market is not Market.LINEAR or not 1 <= lever <= inst.max_leverage:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "lever")
        self.venue.set_leverage(acct.account_id, inst.exchange_id, lever)
        return ok([{"instId": inst.exchange_id, "lever": str(lever), "mgnMode": "cross", "posSide": ""}])

    # trading ------------------------------------------------------------------------------------

    async def place_one(self, call: Call) -> dict[str, Any]:
        if not isinstance(call.body, dict):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "body")
        return batch_envelope([self._place(call, call.body)], single=True)

    async def place_batch(self, call: Call) -> dict[str, Any]:
        orders = call.body if isinstance(call.body, list) else [call.body]
        if not 1 <= len(orders) <= 20:  # "Maximum 20 orders can be placed per request"
            raise SandboxError(ErrorKind.BAD_PARAMETER, "body")
        return batch_envelope([self._place(call, o if isinstance(o, dict) else {}) for o in orders], single=False)

    def _place(self, call: Call, item: dict[str, Any]) -> dict[str, Any]:
        key, acct = call.who()
        cl_ord_id = str(item.get("clOrdId") or "")
        tag = str(item.get("tag") or "")
        now = self.venue.clock.now_ms()
        try:
            if cl_ord_id and not _CL_ORD_ID.match(cl_ord_id):
                raise SandboxError(ErrorKind.BAD_PARAMETER, "clOrdId")
            inst = self.venue.catalog.get(str(item.get("instId") or "-"))
            self.venue.require(key, Permission.SPOT_TRADE if inst.market is Market.SPOT else Permission.FUTURES_TRADE)
            request = _OrderRequest.parse(item, inst, self.venue.prices.get(inst.pair))
            order = self.venue.place_order(
                acct.account_id,
                inst.exchange_id,
                request.side,
                request.type,
                request.qty,
                request.price,
                # An order without clOrdId still needs a core client id that never collides.
                cl_ord_id or f"{_ANONYMOUS}{uuid.uuid4().hex}",
                time_in_force=request.time_in_force,
                reduce_only=request.reduce_only,
            )
        except SandboxError as exc:
            if exc.kind is ErrorKind.PERMISSION_DENIED:
                raise  # a key without "trade" is refused for the whole request, not per order
            return item_failure(row_for(exc), cl_ord_id, ts=now)
        self._meta[order.order_id] = OrderMeta(request.ord_type, request.tgt_ccy, cl_ord_id, tag)
        return {"clOrdId": cl_ord_id, "ordId": str(order.order_id), "tag": tag, "ts": str(now), "sCode": "0",
                "sMsg": "Order placed"}  # fmt: skip

    async def cancel(self, call: Call) -> dict[str, Any]:
        key, acct = call.who()
        inst = self.venue.catalog.get(call.param("instId") or "-")
        cl_ord_id = call.param("clOrdId")
        now = self.venue.clock.now_ms()
        try:
            self.venue.require(key, Permission.SPOT_TRADE if inst.market is Market.SPOT else Permission.FUTURES_TRADE)
            order_id, client_id = _order_ref(call)
            order = self.venue.cancel_order(acct.account_id, inst.exchange_id, order_id, client_id)
        except SandboxError as exc:
            if exc.kind is ErrorKind.PERMISSION_DENIED:
                raise
            return batch_envelope([item_failure(row_for(exc), cl_ord_id, call.param("ordId"), now)], single=True)
        meta = self._meta.get(order.order_id)
        item = {"clOrdId": meta.cl_ord_id if meta else cl_ord_id, "ordId": str(order.order_id), "ts": str(now),
                "sCode": "0", "sMsg": ""}  # fmt: skip
        return batch_envelope([item], single=True)

    async def order(self, call: Call) -> dict[str, Any]:
        """One order by ``ordId`` (preferred when both are given) or the latest with ``clOrdId``."""
        _, acct = call.who()
        inst = self.venue.catalog.get(call.param("instId") or "-")
        order_id, client_id = _order_ref(call)
        order = self.venue.find_order(acct.account_id, inst.exchange_id, order_id, client_id)
        return ok([self._view(order.order_id)])

    async def pending(self, call: Call) -> dict[str, Any]:
        _, acct = call.who()
        inst_type, inst_id = call.param("instType"), call.param("instId")
        orders = [
            o
            for o in self.venue.open_orders(acct.account_id, inst_id or None)
            if inst_type in ("", INST_TYPES[self.venue.catalog.get(o.instrument_id).market])
        ]
        orders.sort(key=lambda o: o.order_id, reverse=True)  # OKX lists the newest first
        return ok([self._view(o.order_id) for o in orders])

    def _view(self, order_id: int) -> dict[str, Any]:
        order = self.venue.orders[order_id]
        inst = self.venue.catalog.get(order.instrument_id)
        # Orders restored from a saved sandbox state have no meta: show what the core kept.
        shown_id = "" if order.client_order_id.startswith(_ANONYMOUS) else order.client_order_id
        meta = self._meta.get(order_id, OrderMeta(order.type.value, "", shown_id, ""))
        view = order_view(order, inst, meta.ord_type, meta.tgt_ccy, self.venue.leverage(
            self.venue.account(order.account_id), inst))  # fmt: skip
        view["clOrdId"], view["tag"] = meta.cl_ord_id, meta.tag
        return view


@dataclass(frozen=True, slots=True)
class _OrderRequest:
    """One place-order item, checked field by field as OKX does (51000 "Parameter X error")."""

    side: Side
    type: OrderType
    time_in_force: str
    ord_type: str
    qty: Decimal
    price: Decimal | None
    reduce_only: bool
    tgt_ccy: str

    @classmethod
    def parse(cls, item: dict[str, Any], inst: Instrument, mark: Decimal) -> _OrderRequest:
        side_name = item.get("side")
        if side_name not in ("buy", "sell"):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "side")
        side = Side(side_name)
        ord_type = str(item.get("ordType") or "")
        if ord_type not in _ORD_TYPES:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "ordType")
        type_, tif = _ORD_TYPES[ord_type]
        spot = inst.market is Market.SPOT
        td_mode = item.get("tdMode")
        if td_mode != ("cash" if spot else "cross"):
            # Spot trades in cash mode; swaps in cross margin (the sandbox has no isolated margin).
            raise SandboxError(ErrorKind.BAD_PARAMETER, "tdMode")
        if item.get("posSide") not in (None, "", "net"):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "posSide")  # accounts are in net_mode
        qty = decimal_param(item.get("sz"), "sz")
        price = decimal_param(item.get("px"), "px") if type_ is OrderType.LIMIT else None
        if ord_type == "post_only" and price is not None and (price >= mark if side is Side.BUY else price <= mark):
            # OKX cancels a post-only order that would take liquidity; the sandbox refuses it outright.
            raise SandboxError(ErrorKind.BAD_PARAMETER, "px")
        tgt_ccy = str(item.get("tgtCcy") or ("base_ccy" if spot else ""))
        if spot and tgt_ccy not in ("base_ccy", "quote_ccy"):
            raise SandboxError(ErrorKind.BAD_PARAMETER, "tgtCcy")
        if spot and type_ is OrderType.MARKET and tgt_ccy == "quote_ccy":
            # sz is an amount of quote currency: buy what it pays for at the current price.
            qty = (qty / mark / inst.lot_size).to_integral_value(rounding=ROUND_DOWN) * inst.lot_size
        reduce_only = item.get("reduceOnly") in (True, "true")
        if reduce_only and spot:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "reduceOnly")
        return cls(side, type_, tif, ord_type, qty, price, reduce_only, tgt_ccy)


def _order_ref(call: Call) -> tuple[int | None, str | None]:
    """``ordId`` wins over ``clOrdId`` when both are given (OKX docs, get order details)."""
    ord_id, cl_ord_id = call.param("ordId"), call.param("clOrdId")
    if ord_id:
        if not ord_id.isdigit():
            raise SandboxError(ErrorKind.ORDER_NOT_FOUND)
        return int(ord_id), None
    if cl_ord_id:
        return None, cl_ord_id
    raise SandboxError(ErrorKind.BAD_PARAMETER, "ordId")


def _ccys(call: Call) -> set[str] | None:
    ccy = call.param("ccy")
    return {c for c in ccy.split(",") if c} if ccy else None
