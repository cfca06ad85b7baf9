"""Bots that would share one futures position: they must agree on leverage and direction.

Binance, OKX (net mode) and Bybit keep one position per linear contract and account (one-way
mode, the mode tradebind's orders use) and one leverage setting for it. Two bots on the same
exchange account and contract with different leverage keep resetting it under each other, and
bots of opposite directions net each other's position away. Spot bots share nothing of the kind.

Pure: the caller (:mod:`.position_uses`, for the cabinet and the runner) says which account each
bot's binding is on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .strategies.dca import Direction

__all__ = ["PositionUse", "position_conflict"]


@dataclass(frozen=True, slots=True)
class PositionUse:
    """How one futures bot uses its account's position on ``symbol`` (a ccxt linear symbol)."""

    bot_id: str
    bot_name: str
    account: str  # the exchange account (or, unknown, the credential) of the bot's binding
    symbol: str
    direction: Direction
    leverage: int


def position_conflict(mine: PositionUse, others: Iterable[PositionUse]) -> tuple[str, str] | None:
    """``(field, message)`` when ``mine`` would share a position with a bot that trades it
    differently; ``None`` when it may run beside every one of ``others``."""
    for other in others:
        if other.bot_id == mine.bot_id or (other.account, other.symbol) != (mine.account, mine.symbol):
            continue
        if other.direction is not mine.direction:
            return "direction", (
                f"direction: bot “{other.bot_name}” is {other.direction.value} on {mine.symbol} on this exchange "
                f"account, and the exchange keeps one position per contract: the two would net each other out. "
                f"Stop it, or trade this bot on another account or symbol"
            )
        if other.leverage != mine.leverage:
            return "leverage", (
                f"leverage: bot “{other.bot_name}” trades {mine.symbol} on this exchange account at "
                f"{other.leverage}x, and the exchange keeps one leverage per contract: set this bot to "
                f"{other.leverage}x too, or stop the other bot first"
            )
    return None
