"""A request that waits for the database (SQLite's one writer at a time) waits off the event loop:
the other bots of the process keep running meanwhile."""

from __future__ import annotations

import asyncio
import threading

from tests.integration.gateway.support import Desk, resting_intent
from tradebind.domain.market import Market
from tradebind.gateway.api import OrderState


async def test_an_order_waiting_for_its_journal_write_does_not_stall_the_other_bots(
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
        order = asyncio.create_task(gateway.place_order(c.ref, resting_intent(Market.SPOT)))
        for _ in range(10):  # the order runs up to its sent-order journal write, which must wait
            await asyncio.sleep(0)
        assert not order.done()
        release.set()  # reached only while the event loop is free
        placed = await order
        await asyncio.to_thread(holder.join, 10)
    assert released == [True], "the event loop was blocked while the order waited for the database"
    assert placed.state is OrderState.OPEN
    assert [o["client_order_id"] for o in shared_desk.exchange_orders(c)] == [placed.client_order_id]


async def test_a_key_replaced_while_an_order_waits_is_the_key_that_signs_it(shared_desk: Desk, account: str) -> None:
    """The order read its binding (old key), then waited for its journal write; meanwhile the key
    was replaced and the old one deleted on the exchange. Nothing is signed with the old key."""
    c = shared_desk.connect("okx", Market.SPOT, account)
    held, release = threading.Event(), threading.Event()

    def replace_while_the_order_waits() -> None:
        with shared_desk.store.write_turn():
            held.set()
            release.wait(10)
            shared_desk.replace_key(c)  # commits (this thread holds the turn) and deletes the old key

    async with shared_desk.gateway() as gateway:
        await gateway.balance(c.ref)  # the old key's session is open
        holder = threading.Thread(target=replace_while_the_order_waits)
        holder.start()
        assert held.wait(10)
        order = asyncio.create_task(gateway.place_order(c.ref, resting_intent(Market.SPOT)))
        for _ in range(10):  # the order has read the binding and waits for its journal write
            await asyncio.sleep(0)
        release.set()
        placed = await order
        await asyncio.to_thread(holder.join, 10)
        assert gateway.controls(shared_desk.owner_id).pause_of(c.ref.binding_id) is None
    sent = [(r.purpose.split()[1], r.details["version"], r.result) for r in shared_desk.records()]
    assert sent == [("balance", 1, "ok"), ("place", 2, "ok")]
    assert placed.state is OrderState.OPEN
    assert [o["client_order_id"] for o in shared_desk.exchange_orders(c)] == [placed.client_order_id]
