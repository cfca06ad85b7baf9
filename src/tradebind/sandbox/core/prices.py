"""Prices per pair: pinned by the control API or following a seeded random walk."""

from __future__ import annotations

import random
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal


class PriceBook:
    """Last/mark price of every pair (``BTC/USDT``) of a venue.

    Unpinned pairs take one random-walk step per :meth:`step` call (the app calls it every
    second); the walk is reproducible for a given seed and number of steps. A price set through
    :meth:`set` pins the pair so tests and demos control it exactly.
    """

    def __init__(self, initial: dict[str, Decimal], ticks: dict[str, Decimal], seed: int) -> None:
        self._prices = dict(initial)
        self._ticks = ticks
        self._pinned: set[str] = set()
        self._rng = random.Random(seed)

    def get(self, pair: str) -> Decimal:
        return self._prices[pair]

    def set(self, pair: str, price: Decimal) -> None:
        self._prices[pair] = self._quantize(pair, price)
        self._pinned.add(pair)

    def pinned(self) -> frozenset[str]:
        """Pairs set by hand, which the walk leaves alone."""
        return frozenset(self._pinned)

    def restore(self, prices: dict[str, Decimal], pinned: Iterable[str]) -> None:
        """Take over saved prices of known pairs (unknown pairs are ignored) and their pins."""
        self._prices.update({p: v for p, v in prices.items() if p in self._prices})
        self._pinned = {p for p in pinned if p in self._prices}

    def pairs(self) -> list[str]:
        return list(self._prices)

    def step(self) -> list[str]:
        """Advance every unpinned pair one step; return the pairs that moved."""
        moved = []
        for pair in sorted(self._prices):
            if pair in self._pinned:
                continue
            factor = Decimal(str(round(1 + self._rng.gauss(0, 0.0008), 6)))
            new = self._quantize(pair, self._prices[pair] * factor)
            if new != self._prices[pair] and new > 0:
                self._prices[pair] = new
                moved.append(pair)
        return moved

    def _quantize(self, pair: str, price: Decimal) -> Decimal:
        tick = self._ticks[pair]
        return (price / tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * tick
