"""Orders and fills as the venue stores them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


class Side(enum.Enum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class OrderType(enum.Enum):
    LIMIT = "limit"
    MARKET = "market"


class OrderStatus(enum.Enum):
    NEW = "new"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        return self is OrderStatus.NEW


@dataclass(slots=True)
class Fill:
    trade_id: int
    order_id: int
    instrument_id: str
    side: Side
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    fee: Decimal
    fee_asset: str
    is_maker: bool
    realised_pnl: Decimal
    time_ms: int


@dataclass(slots=True)
class Order:
    """One order. Fills are all-or-nothing: an order is NEW until it fills whole or is canceled.

    ``reserved`` is what the order holds back while open: the spot asset it locks, or for linear
    instruments the initial margin it reserves (in the settle asset).
    """

    order_id: int
    client_order_id: str
    account_id: str
    instrument_id: str
    side: Side
    type: OrderType
    qty: Decimal
    price: Decimal | None
    time_in_force: str
    reduce_only: bool
    created_ms: int
    status: OrderStatus = OrderStatus.NEW
    filled_qty: Decimal = ZERO
    avg_price: Decimal = ZERO
    updated_ms: int = 0
    reserved: Decimal = ZERO
    reserved_asset: str = ""
    fills: list[Fill] = field(default_factory=list)

    @property
    def quote_filled(self) -> Decimal:
        return sum((f.quote_qty for f in self.fills), ZERO)
