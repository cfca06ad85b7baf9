"""Exchange wire protocols served by the sandbox, each under its own URL prefix.

To add an exchange: write a module with an :class:`ExchangeProtocol` subclass and list it here.
"""

from __future__ import annotations

from .base import ExchangeProtocol
from .binance import BinanceProtocol
from .bybit import BybitProtocol
from .okx import OkxProtocol

PROTOCOLS: dict[str, type[ExchangeProtocol]] = {p.name: p for p in (BinanceProtocol, BybitProtocol, OkxProtocol)}

__all__ = ["PROTOCOLS", "ExchangeProtocol"]
