"""A request never waits for the database on the event loop: the other bots of the process keep
running while SQLite's one writer is busy, and a key replaced while a request waits (for its key
to be opened) is the key that signs it."""

from __future__ import annotations

import asyncio
import threading

from tests.integration.gateway.support import Desk, resting_intent
from tradebind.domain.market import Market
from tradebind.gateway.api import OrderState
from tradebind.store.gateway_tables import SentOrderRow


async def test_an_order_is_journaled_and_placed_while_another_writer_holds_the_database(
    shared_desk: Desk, account: str
) -> None:
    c = shared_desk.connect("binance", Market.SPOT, account)
    held, release = threading.Event(), threading.Event()
    released: list[bool] = []

    def hold_the_database() -> None:  # another writer of the process, e.g. a bot saving its deal
        with shared_desk.store.write_turn():
            held.set()
            released.append(release.wait(10))

    async with shared_desk.gateway() as gateway:
        await gateway.balance(c.ref)  # the key's session is open before the database is held
        holder = threading.Thread(target=hold_the_database)
        holder.start()
        assert held.wait(10)
        # The order's journal entry and request record go to the gateway's journal file: the
        # order neither waits for the database nor stalls the event loop meanwhile.
        placed = await asyncio.wait_for(gateway.place_order(c.ref, resting_intent(Market.SPOT)), 10)
        assert not release.is_set()
        release.set()
        await asyncio.to_thread(holder.join, 10)
        await gateway.flush_records()  # copied once the database is free
        again = await gateway.place_order(c.ref, resting_intent(Market.SPOT))  # the same intent
    assert released == [True]
    assert placed.state is OrderState.OPEN
    assert again.exchange_order_id == placed.exchange_order_id  # looked up, not placed twice
    assert [o["client_order_id"] for o in shared_desk.exchange_orders(c)] == [placed.client_order_id]
    with shared_desk.store.read() as session:
        assert session.get(SentOrderRow, (c.ref.binding_id, placed.client_order_id)) is not None


async def test_a_key_replaced_while_an_order_waits_is_the_key_that_signs_it(shared_desk: Desk, account: str) -> None:
    """The order read its binding (old key), then waited for its key to be opened (its first use:
    the store logs the secret's use, and another writer holds the database); meanwhile the key was
    replaced and the old one deleted on the exchange. Nothing is signed with the old key."""
    c = shared_desk.connect("okx", Market.SPOT, account)
    held, release = threading.Event(), threading.Event()

    def replace_while_the_order_waits() -> None:
        with shared_desk.store.write_turn():
            held.set()
            release.wait(10)
            shared_desk.replace_key(c)  # commits (this thread holds the turn) and deletes the old key

    async with shared_desk.gateway() as gateway:
        holder = threading.Thread(target=replace_while_the_order_waits)
        holder.start()
        assert held.wait(10)
        order = asyncio.create_task(gateway.place_order(c.ref, resting_intent(Market.SPOT)))
        for _ in range(10):  # the order has read the binding and waits to open its key
            await asyncio.sleep(0)
        assert not order.done()
        release.set()
        placed = await order
        await asyncio.to_thread(holder.join, 10)
        assert gateway.controls(shared_desk.owner_id).pause_of(c.ref.binding_id) is None
    sent = [(r.purpose.split()[1], r.details["version"], r.result) for r in shared_desk.records()]
    assert sent == [("place", 2, "ok")]
    assert placed.state is OrderState.OPEN
    assert [o["client_order_id"] for o in shared_desk.exchange_orders(c)] == [placed.client_order_id]
