"""Deterministic exchange client order ids from (bot, deal, step). Pure.

The same ``(bot_id, deal_id, step)`` always gives the same id, so a retried intent can be found
(or refused as a duplicate) by the exchange instead of becoming a second order. The id is
``"tb"`` followed by hex digits of SHA-256 over the three parts: alphanumeric only, so one id
fits every exchange's rules (shared/reference/exchanges.md §1.6, §2.6, §3.6; summary §7):

- Binance spot ``newClientOrderId``: ≤36 of ``[A-Za-z0-9_-]`` (the FIX API's rule; REST gives none)
- Binance USDⓈ-M ``newClientOrderId``: ``^[\\.A-Z\\:/a-z0-9_-]{1,36}$``
- OKX ``clOrdId``: up to 32 case-sensitive alphanumerics
- Bybit ``orderLinkId``: ≤36 of letters, digits, ``-`` and ``_``

Thirty hex digits (120 bits) keep collisions out of reach for any number of orders a platform
will ever place, and the shortest limit (OKX, 32) still fits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .market import Market

__all__ = ["PREFIX", "ClientIdRule", "client_order_id", "rule_for"]

PREFIX = "tb"
_DIGEST_CHARS = 30


@dataclass(frozen=True, slots=True)
class ClientIdRule:
    """One exchange's rule for client order ids: a full-match pattern (length included)."""

    exchange: str
    field: str  # the exchange's parameter name, for messages
    pattern: re.Pattern[str]

    def allows(self, value: str) -> bool:
        return self.pattern.fullmatch(value) is not None


_RULES: dict[tuple[str, Market], ClientIdRule] = {
    ("binance", Market.SPOT): ClientIdRule("binance", "newClientOrderId", re.compile(r"[A-Za-z0-9_-]{1,36}")),
    ("binance", Market.FUTURES): ClientIdRule("binance", "newClientOrderId", re.compile(r"[\.A-Z\:/a-z0-9_-]{1,36}")),
    ("okx", Market.SPOT): ClientIdRule("okx", "clOrdId", re.compile(r"[A-Za-z0-9]{1,32}")),
    ("okx", Market.FUTURES): ClientIdRule("okx", "clOrdId", re.compile(r"[A-Za-z0-9]{1,32}")),
    ("bybit", Market.SPOT): ClientIdRule("bybit", "orderLinkId", re.compile(r"[A-Za-z0-9_-]{1,36}")),
    ("bybit", Market.FUTURES): ClientIdRule("bybit", "orderLinkId", re.compile(r"[A-Za-z0-9_-]{1,36}")),
}


def rule_for(exchange: str, market: Market) -> ClientIdRule:
    """The client-order-id rule of ``exchange`` for ``market``; ``KeyError`` naming it if unknown."""
    try:
        return _RULES[(exchange, market)]
    except KeyError:
        raise KeyError(f"exchange: no client order id rule for {exchange!r} {market.value}") from None


def client_order_id(exchange: str, market: Market, bot_id: str, deal_id: str, step: str) -> str:
    """The exchange client order id of step ``step`` of deal ``deal_id`` of bot ``bot_id``.

    Deterministic and within ``exchange``'s rules for ``market``. Parts are joined with a
    separator that cannot occur in them after length-prefixing, so ``("a", "bc")`` and
    ``("ab", "c")`` never share an id.
    """
    rule = rule_for(exchange, market)
    parts = (bot_id, deal_id, step)
    if not all(parts):
        raise ValueError("bot_id, deal_id and step must be non-empty")
    canonical = "\x1f".join(f"{len(p)}:{p}" for p in parts)
    value = PREFIX + hashlib.sha256(canonical.encode()).hexdigest()[:_DIGEST_CHARS]
    assert rule.allows(value), f"{value!r} breaks {rule.exchange}'s {rule.field} rule"
    return value
