"""Deterministic client order ids within every exchange's rules."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradebind.domain.client_order_id import client_order_id, rule_for
from tradebind.domain.market import Market

COMBOS = list(itertools.product(("binance", "okx", "bybit"), Market))
part = st.text(min_size=1, max_size=80)


@pytest.mark.parametrize(("exchange", "market"), COMBOS)
def test_the_same_bot_deal_and_step_always_give_the_same_id(exchange: str, market: Market) -> None:
    first = client_order_id(exchange, market, "bot-1", "deal-9", "so2")
    assert first == client_order_id(exchange, market, "bot-1", "deal-9", "so2")
    assert first != client_order_id(exchange, market, "bot-1", "deal-9", "so3")
    assert first != client_order_id(exchange, market, "bot-1", "deal-10", "so2")
    assert first != client_order_id(exchange, market, "bot-2", "deal-9", "so2")


def test_parts_cannot_be_shifted_into_each_other() -> None:
    ids = {
        client_order_id("okx", Market.SPOT, "a", "bc", "d"),
        client_order_id("okx", Market.SPOT, "ab", "c", "d"),
        client_order_id("okx", Market.SPOT, "a", "b", "cd"),
    }
    assert len(ids) == 3


@given(bot=part, deal=part, step=part)
def test_ids_fit_every_exchanges_length_and_alphabet(bot: str, deal: str, step: str) -> None:
    for exchange, market in COMBOS:
        value = client_order_id(exchange, market, bot, deal, step)
        assert rule_for(exchange, market).allows(value)
        assert len(value) <= 32
        assert value.isalnum()


@pytest.mark.parametrize(
    ("exchange", "market", "value", "allowed"),
    [
        ("binance", Market.SPOT, "grid-1_a", True),
        ("binance", Market.SPOT, "a" * 37, False),
        ("binance", Market.SPOT, "x.y", False),
        ("binance", Market.FUTURES, "x.y:z/w", True),
        ("okx", Market.SPOT, "grid-1", False),
        ("okx", Market.FUTURES, "a" * 33, False),
        ("okx", Market.SPOT, "A1" * 16, True),
        ("bybit", Market.FUTURES, "dip_buy-1", True),
        ("bybit", Market.SPOT, "", False),
    ],
)
def test_rules_are_each_exchanges_own(exchange: str, market: Market, value: str, allowed: bool) -> None:
    assert rule_for(exchange, market).allows(value) is allowed


def test_unknown_exchange_and_empty_parts_are_refused() -> None:
    with pytest.raises(KeyError, match="exchange: no client order id rule for 'kraken'"):
        client_order_id("kraken", Market.SPOT, "b", "d", "s")
    with pytest.raises(ValueError, match="must be non-empty"):
        client_order_id("okx", Market.SPOT, "b", "", "s")
