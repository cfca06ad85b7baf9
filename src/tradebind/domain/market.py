"""The two markets a binding trades: spot, or USDⓈ-M (linear, USDT-settled) futures."""

from __future__ import annotations

import enum


class Market(enum.StrEnum):
    """A binding's market; the value is how the CLI, API and database spell it."""

    SPOT = "spot"
    FUTURES = "futures"
