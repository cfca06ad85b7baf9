"""The state file's snapshot and restore: a venue comes back equal, and keeps counting ids after."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from tradebind.sandbox.core import ApiKey, OrderType, Permission, Side, Venue
from tradebind.sandbox.state import StateError, restore, snapshot

from .venues import PAIR, PERP, SPOT, make_venue

D = Decimal


def _busy_venue() -> Venue:
    venue = make_venue()
    venue.add_key(
        ApiKey(
            "k1", "canary-secret", "alice", "bot", frozenset({Permission.READ}), ("10.0.0.0/8",),
            datetime(2031, 1, 1, tzinfo=UTC), "pass-phrase", "demo",
        )
    )  # fmt: skip
    venue.deposit("alice", "spot", "USDT", D("10000"))
    venue.deposit("alice/sub1", "futures", "USDT", D("5000"))
    venue.set_leverage("alice/sub1", PERP, 7)
    venue.place_order("alice", SPOT, Side.BUY, OrderType.MARKET, D("0.01"), None, "filled")
    venue.place_order("alice", SPOT, Side.BUY, OrderType.LIMIT, D("0.01"), D("40000"), "resting")
    venue.place_order("alice/sub1", PERP, Side.SELL, OrderType.MARKET, D("0.2"), None, "short")
    venue.set_price(PAIR, D("49000"))
    return venue


def _reloaded(venue: Venue) -> Venue:
    fresh = make_venue()
    restore({"testex": fresh}, orjson.loads(orjson.dumps(snapshot({"testex": venue}))))
    return fresh


def test_everything_durable_comes_back_equal() -> None:
    venue = _busy_venue()
    back = _reloaded(venue)
    assert back.accounts == venue.accounts
    assert list(back.keys.all()) == list(venue.keys.all())
    assert back.orders == venue.orders
    assert back.prices.get(PAIR) == D("49000")
    assert back.prices.pinned() == {PAIR}
    assert back.margin(back.account("alice/sub1"), "futures") == venue.margin(venue.account("alice/sub1"), "futures")


def test_a_restored_venue_keeps_working() -> None:
    venue = _busy_venue()
    back = _reloaded(venue)
    _, acct = back.authenticate(
        "k1", "10.1.2.3", lambda k: k.secret == "canary-secret", passphrase="pass-phrase", environment="demo"
    )
    assert acct.account_id == "alice"
    resting = back.find_order("alice", SPOT, client_order_id="resting")
    assert back.open_orders("alice") == [resting]
    back.set_price(PAIR, D("39000"))  # the restored resting order is still on the book
    assert resting.fills
    newer = back.place_order("alice", SPOT, Side.BUY, OrderType.MARKET, D("0.01"), None, "after")
    assert newer.order_id > max(venue.orders)
    assert newer.fills[0].trade_id > max(f.trade_id for o in venue.orders.values() for f in o.fills)
    assert back.account("bob").uid > max(a.uid for a in venue.accounts.values())
    # A new wallet name on a restored account springs into being as on a fresh one.
    back.deposit("alice", "funding", "BTC", D("1"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], "not a tradebind"),
        ({"format": "tradebind-sandbox-state", "version": 2, "venues": {}}, "version 2"),
        ({"format": "tradebind-sandbox-state", "version": 1}, "no venues"),
        ({"format": "tradebind-sandbox-state", "version": 1, "venues": {"testex": {"keys": []}}}, "damaged"),
    ],
)
def test_unusable_data_is_refused_without_quoting_it(data: object, reason: str) -> None:
    with pytest.raises(StateError, match=reason) as err:
        restore({"testex": make_venue()}, data)
    assert "canary" not in str(err.value)
