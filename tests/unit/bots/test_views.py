"""A deal as people see it: phase in words, average entry, filled amount, realised profit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tradebind.bots.views import summarise
from tradebind.store.deals import DealOrderRecord, DealRecord

NOW = datetime(2026, 11, 21, tzinfo=UTC)
PARAMS = {"base_order_quote": "100", "safety_order_quote": "100", "max_safety_orders": 3, "take_profit_pct": "1"}
PARAMS_NO_FEE = {**PARAMS, "fee_allowance_pct": "0"}


def order(
    step: str, side: str, kind: str, amount: str, state: str, price: str | None, avg: str | None
) -> DealOrderRecord:
    filled = Decimal(amount) if state == "filled" else Decimal(0)
    return DealOrderRecord(
        step, f"cid-{step}", "1", "BTC/USDT", side, kind, Decimal(amount),
        None if price is None else Decimal(price), False, state, filled,
        None if avg is None else Decimal(avg), Decimal(0), None, NOW, NOW,
    )  # fmt: skip


def deal(status: str, *orders: DealOrderRecord, reason: str | None = None) -> DealRecord:
    return DealRecord("d1", "b1", 1, "BTC/USDT", status, reason, NOW, None, orders)


def test_an_open_deal_says_how_far_it_has_averaged_and_where_it_takes_profit() -> None:
    shown = summarise(
        PARAMS_NO_FEE,
        deal(
            "open",
            order("base", "buy", "market", "1", "filled", None, "100"),
            order("so1", "buy", "limit", "2", "filled", "97", "97"),
            order("tp1", "sell", "limit", "3", "open", "99", None),
        ),
    )
    assert shown.phase == "safety orders 1/3 filled, take profit at 99"
    assert shown.average_entry == Decimal(98)
    assert (shown.filled, shown.held, shown.realised_pnl) == (Decimal(3), Decimal(3), Decimal(0))


def test_a_closed_deal_shows_its_reason_and_profit() -> None:
    shown = summarise(
        PARAMS_NO_FEE,
        deal(
            "closed",
            order("base", "buy", "market", "1", "filled", None, "100"),
            order("tp0", "sell", "limit", "1", "filled", "101", "101"),
            reason="take_profit",
        ),
    )
    assert shown.phase == "closed by take profit"
    assert shown.realised_pnl == Decimal(1)


def test_a_deal_waiting_for_its_base_order_says_so() -> None:
    shown = summarise(PARAMS, deal("open", order("base", "buy", "market", "1", "pending", None, None)))
    assert shown.phase == "opening: base order pending"
    assert shown.average_entry is None
