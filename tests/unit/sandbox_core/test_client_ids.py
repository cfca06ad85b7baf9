"""Client order ids: unique while open ("open" venues) or for ever ("always" venues)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradebind.sandbox.core import ErrorKind, Order, OrderType, SandboxError, Side, Venue

from .venues import SPOT, make_venue

D = Decimal


def _venue(policy: str) -> Venue:
    venue = make_venue(client_id_unique=policy)
    venue.deposit("alice", "spot", "USDT", D("10000"))
    return venue


def _rest(venue: Venue, cid: str = "bot-1") -> Order:
    return venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("40000"), cid)


@pytest.mark.parametrize("policy", ["open", "always"])
def test_an_open_order_id_cannot_be_reused(policy: str) -> None:
    venue = _venue(policy)
    _rest(venue)
    with pytest.raises(SandboxError) as err:
        _rest(venue)
    assert err.value.kind is ErrorKind.DUPLICATE_CLIENT_ORDER_ID
    assert len(venue.orders_of("alice")) == 1


def test_open_policy_allows_reuse_once_the_order_is_closed() -> None:
    venue = _venue("open")
    first = _rest(venue)
    venue.cancel_order("alice", SPOT, first.order_id)
    second = _rest(venue)
    assert second.order_id != first.order_id
    assert venue.find_order("alice", SPOT, client_order_id="bot-1") is second


def test_always_policy_refuses_reuse_after_close() -> None:
    venue = _venue("always")
    first = _rest(venue)
    venue.cancel_order("alice", SPOT, first.order_id)
    with pytest.raises(SandboxError) as err:
        _rest(venue)
    assert err.value.kind is ErrorKind.DUPLICATE_CLIENT_ORDER_ID


def test_the_same_id_in_another_account_is_fine() -> None:
    venue = _venue("always")
    venue.deposit("bob", "spot", "USDT", D("10000"))
    _rest(venue)
    venue.place_order("bob", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("40000"), "bot-1")
    assert len(venue.orders_of()) == 2
