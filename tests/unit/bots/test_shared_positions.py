"""Futures bots on one account and contract must agree on leverage and direction."""

from __future__ import annotations

from tradebind.bots.shared_positions import PositionUse, position_conflict
from tradebind.bots.strategies.dca import Direction

LONG, SHORT = Direction.LONG, Direction.SHORT


def use(
    bot: str, account: str = "okx:1", symbol: str = "BTC/USDT:USDT", d: Direction = LONG, x: int = 5
) -> PositionUse:
    return PositionUse(bot, f"bot {bot}", account, symbol, d, x)


def test_bots_that_agree_or_trade_elsewhere_may_run_together() -> None:
    assert position_conflict(use("a"), [use("b"), use("c")]) is None  # same leverage and direction
    assert position_conflict(use("a", x=10), [use("b", account="okx:2")]) is None  # another account
    assert position_conflict(use("a", x=10), [use("b", symbol="ETH/USDT:USDT")]) is None  # another contract
    assert position_conflict(use("a", x=10), [use("a", x=5)]) is None  # itself, as stored before a change


def test_a_different_leverage_is_refused_naming_the_other_bot_and_its_setting() -> None:
    found = position_conflict(use("a", x=10), [use("b", x=3)])
    assert found is not None
    field, message = found
    assert field == "leverage"
    assert "“bot b”" in message
    assert "3x" in message


def test_the_opposite_direction_is_refused_before_leverage() -> None:
    found = position_conflict(use("a", d=SHORT, x=10), [use("b", x=3)])
    assert found is not None
    assert found[0] == "direction"
    assert "is long on BTC/USDT:USDT" in found[1]
