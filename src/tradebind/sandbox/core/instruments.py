"""Tradable instruments and their specs (tick size, lot size, minimums, contract size)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from .errors import ErrorKind, SandboxError


class Market(enum.Enum):
    SPOT = "spot"
    LINEAR = "linear"  # USDT-margined perpetual


@dataclass(frozen=True, slots=True)
class Instrument:
    """One instrument, keyed by the exchange's own id (``BTCUSDT``, ``BTC-USDT-SWAP``).

    Quantities of linear instruments are counted in contracts of ``contract_size`` base units
    (1 on Binance and Bybit, 0.01 BTC on OKX), so notional = qty * contract_size * price.
    """

    exchange_id: str
    market: Market
    base: str
    quote: str
    tick_size: Decimal
    lot_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    contract_size: Decimal = Decimal(1)
    max_leverage: int = 1
    maker_fee: Decimal = Decimal("0.001")
    taker_fee: Decimal = Decimal("0.001")
    price_precision: int = 2
    qty_precision: int = 6

    @property
    def pair(self) -> str:
        """The price key shared by every market on the same base and quote: ``BTC/USDT``."""
        return f"{self.base}/{self.quote}"

    @property
    def settle(self) -> str:
        return self.quote

    def notional(self, qty: Decimal, price: Decimal) -> Decimal:
        return qty * self.contract_size * price

    def check_order(self, qty: Decimal, price: Decimal | None, ref_price: Decimal) -> None:
        """Raise ``FILTER_FAILURE`` for what the exchange's filters refuse."""
        if qty <= 0:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "quantity must be positive")
        if qty < self.min_qty or qty > self.max_qty:
            raise SandboxError(ErrorKind.FILTER_FAILURE, "LOT_SIZE")
        if (qty / self.lot_size) % 1 != 0:
            raise SandboxError(ErrorKind.FILTER_FAILURE, "LOT_SIZE")
        if price is not None:
            if price <= 0:
                raise SandboxError(ErrorKind.BAD_PARAMETER, "price must be positive")
            if (price / self.tick_size) % 1 != 0:
                raise SandboxError(ErrorKind.FILTER_FAILURE, "PRICE_FILTER")
        if self.notional(qty, price if price is not None else ref_price) < self.min_notional:
            raise SandboxError(ErrorKind.FILTER_FAILURE, "NOTIONAL")


class Catalog:
    """The instruments one venue lists, by exchange id."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self._by_id = {i.exchange_id: i for i in instruments}

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._by_id.values())

    def get(self, exchange_id: str) -> Instrument:
        try:
            return self._by_id[exchange_id]
        except KeyError:
            raise SandboxError(ErrorKind.UNKNOWN_SYMBOL, exchange_id) from None

    def find(self, exchange_id: str) -> Instrument | None:
        return self._by_id.get(exchange_id)

    def of(self, market: Market) -> list[Instrument]:
        return [i for i in self._by_id.values() if i.market is market]

    def pairs(self) -> set[str]:
        return {i.pair for i in self._by_id.values()}
