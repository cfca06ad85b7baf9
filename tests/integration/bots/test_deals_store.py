"""Deals and their orders in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.store.support import binance_material
from tradebind.domain.credentials import Bot, BotState, Owner
from tradebind.store import BindingRepository, BotRepository, Conflict, CredentialRepository, NotFound, Store
from tradebind.store.deals import DealRepository, bots_in_state
from tradebind.vault import EnvelopeVault


def make_bot(store: Store, vault: EnvelopeVault, owner: Owner, name: str = "dca") -> Bot:
    cred = CredentialRepository(store, vault, owner.id).add(binance_material(), f"key {name}")
    binding = BindingRepository(store, owner.id).add(cred.id, "spot", f"spot {name}")
    params = {"base_order_quote": "20", "take_profit_pct": "1"}
    return BotRepository(store, owner.id).add(name, binding.id, "BTC/USDT", "dca", params)


def test_a_deal_keeps_its_orders_and_their_exact_amounts(store: Store, vault: EnvelopeVault, alice: Owner) -> None:
    bot = make_bot(store, vault, alice)
    deals = DealRepository(store, alice.id)
    deal = deals.start(bot.id, "BTC/USDT")
    pending = deals.add_order(
        deal.id,
        step="base",
        client_order_id="tb-abc",
        side="buy",
        kind="market",
        amount=Decimal("0.00012345"),
        price=None,
        reduce_only=False,
    )
    assert (pending.state, pending.filled) == ("pending", Decimal(0))
    deals.update_order(
        deal.id,
        "base",
        state="filled",
        filled=Decimal("0.00012345"),
        average_price=Decimal("64000.01"),
        fee_quote=Decimal("0.0079"),
        exchange_order_id="991",
    )
    again = deals.open_deal(bot.id)
    assert again is not None
    assert again.id == deal.id
    assert again.seq == 1
    (order,) = again.orders
    assert (order.amount, order.average_price, order.fee_quote) == (
        Decimal("0.00012345"),
        Decimal("64000.01"),
        Decimal("0.0079"),
    )
    assert (order.exchange_order_id, order.state, order.client_order_id) == ("991", "filled", "tb-abc")


def test_one_open_deal_per_bot_and_a_step_names_one_order(store: Store, vault: EnvelopeVault, alice: Owner) -> None:
    bot = make_bot(store, vault, alice)
    deals = DealRepository(store, alice.id)
    first = deals.start(bot.id, "BTC/USDT")
    with pytest.raises(Conflict) as caught:
        deals.start(bot.id, "BTC/USDT")
    assert caught.value.field == "bot_id"
    order = {"client_order_id": "c1", "side": "buy", "kind": "market", "amount": Decimal(1), "price": None}
    deals.add_order(first.id, step="base", reduce_only=False, **order)  # type: ignore[arg-type]
    with pytest.raises(Conflict) as dup:
        deals.add_order(first.id, step="base", reduce_only=False, **{**order, "client_order_id": "c2"})  # type: ignore[arg-type]
    assert dup.value.field == "step"
    closed = deals.close(first.id, "take_profit")
    assert (closed.status, closed.close_reason) == ("closed", "take_profit")
    assert deals.open_deal(bot.id) is None
    second = deals.start(bot.id, "BTC/USDT")
    assert second.seq == 2
    assert [d.seq for d in deals.deals(bot.id)] == [2, 1]
    assert [o.client_order_id for o in deals.orders(bot.id)] == ["c1"]


def test_another_owners_deals_are_not_found(store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner) -> None:
    bot = make_bot(store, vault, alice)
    deal = DealRepository(store, alice.id).start(bot.id, "BTC/USDT")
    theirs = DealRepository(store, bob.id)
    with pytest.raises(NotFound):
        theirs.get(deal.id)
    with pytest.raises(NotFound):
        theirs.start(bot.id, "BTC/USDT")
    with pytest.raises(NotFound):
        theirs.close(deal.id, "stolen")
    assert theirs.open_deal(bot.id) is None
    assert theirs.deals(bot.id) == []
    assert theirs.orders(bot.id) == []


def test_the_worker_sees_running_bots_of_every_owner(
    store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner
) -> None:
    a, b = make_bot(store, vault, alice, "a"), make_bot(store, vault, bob, "b")
    make_bot(store, vault, alice, "idle")
    BotRepository(store, alice.id).set_state(a.id, "running")
    BotRepository(store, bob.id).set_state(b.id, "running")
    assert sorted(x.id for x in bots_in_state(store, BotState.RUNNING)) == sorted([a.id, b.id])
