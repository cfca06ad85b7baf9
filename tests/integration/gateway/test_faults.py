"""Orders under faults, on a sandbox of each test's own: whatever the network does, one order.

Each test counts the orders on the exchange side (``GET /sandbox/v1/orders``), so a duplicate or
a forgotten order fails it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.gateway.support import EXCHANGES, Connected, Desk, resting_intent
from tradebind.domain.market import Market
from tradebind.exchanges.base import ApiCredentials, Endpoint
from tradebind.exchanges.registry import open_adapter
from tradebind.gateway.api import OrderState
from tradebind.gateway.trading import EXPIRY_MS
from tradebind.store import CredentialRepository

UNKNOWN_OUTCOME_FAULTS = ("drop_after_accept", "server_error")


@pytest.mark.parametrize("fault", UNKNOWN_OUTCOME_FAULTS)
@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_an_order_with_an_unknown_outcome_is_found_by_client_id_not_placed_twice(
    fresh_desk: Desk, account: str, exchange: str, fault: str
) -> None:
    c = fresh_desk.connect(exchange, Market.SPOT, account)
    async with fresh_desk.gateway() as gateway:
        await gateway.balance(c.ref)
        fresh_desk.control.fault(exchange, fault, count=1)
        placed = await gateway.place_order(c.ref, resting_intent(Market.SPOT))
    assert placed.state is OrderState.OPEN
    orders = fresh_desk.exchange_orders(c)
    assert [(o["client_order_id"], o["order_id"]) for o in orders] == [
        (placed.client_order_id, placed.exchange_order_id)
    ]
    results = [r.result for r in fresh_desk.records() if " place " in r.purpose]
    assert results[0] != "ok"  # the gateway saw the failure and looked the order up
    if fault == "drop_after_accept":
        assert len(results) == 1  # the order was taken, so it was found: never sent again


async def test_an_order_the_exchange_never_executed_is_placed_once_after_it_expired(
    fresh_desk: Desk, account: str
) -> None:
    # Binance -1007 with the order not executed: only after recvWindow can the gateway be sure.
    c = fresh_desk.connect("binance", Market.SPOT, account)
    async with fresh_desk.gateway() as gateway:
        await gateway.balance(c.ref)
        fresh_desk.control.fault("binance", "server_error", count=1, executed=False)
        placed = await gateway.place_order(c.ref, resting_intent(Market.SPOT))
    assert [o["client_order_id"] for o in fresh_desk.exchange_orders(c)] == [placed.client_order_id]
    places = [r.result for r in fresh_desk.records() if " place " in r.purpose]
    assert places == ["EXCHANGE_UNAVAILABLE: -1007", "ok"]


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_a_slow_exchange_times_out_then_the_order_is_reconciled(
    fresh_desk: Desk, account: str, exchange: str
) -> None:
    c = fresh_desk.connect(exchange, Market.SPOT, account)
    async with fresh_desk.gateway(timeout_ms=1000) as gateway:
        await gateway.balance(c.ref)
        fresh_desk.control.fault(exchange, "latency", ms=2500, count=1)
        placed = await gateway.place_order(c.ref, resting_intent(Market.SPOT))
    assert [o["client_order_id"] for o in fresh_desk.exchange_orders(c)] == [placed.client_order_id]
    records = [r for r in fresh_desk.records() if " balance " not in r.purpose]
    first, then = records[0], records[1]
    assert (first.purpose, first.result) == (f"{exchange} place BTC/USDT", "NETWORK_ERROR")
    assert first.details["latency_ms"] >= 1000  # the gateway's timeout, not the exchange's answer
    assert then.purpose == f"{exchange} query BTC/USDT"  # reconcile by client id before anything else
    resent = [r for r in records[1:] if " place " in r.purpose]
    # The sandbox drops a request whose client hung up before its body was read, so the order may
    # never have been taken: then it is sent again, but only once the first request has expired.
    if resent:
        # Records are written after the answer: the first request left latency_ms before its
        # record. The resend must leave after the exchange's receive window (EXPIRY_MS less the
        # 1.5 s the gateway adds for clock differences).
        first_sent = first.at - timedelta(milliseconds=first.details["latency_ms"])
        assert resent[0].at - first_sent >= timedelta(milliseconds=EXPIRY_MS[exchange] - 1500)
    assert len(resent) <= 1


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_maintenance_backs_off_then_succeeds(fresh_desk: Desk, account: str, exchange: str) -> None:
    c = fresh_desk.connect(exchange, Market.SPOT, account)
    async with fresh_desk.gateway() as gateway:
        await gateway.balance(c.ref)
        fresh_desk.control.fault(exchange, "maintenance", count=3)
        placed = await gateway.place_order(c.ref, resting_intent(Market.SPOT))
    assert [o["client_order_id"] for o in fresh_desk.exchange_orders(c)] == [placed.client_order_id]
    results = [r.result for r in fresh_desk.records()]
    assert sum(r.startswith("EXCHANGE_UNAVAILABLE") for r in results) == 3
    assert results[-1] == "ok"


# Demand above each exchange's own order limit for one account (exchanges.md §1.5, §2.5, §3.5):
# Binance spot 50 orders / 10 s; OKX 60 place requests / 2 s per instrument; Bybit spot 20 / s.
SQUEEZE = {"binance": 60, "okx": 70, "bybit": 30}
# The window those limits count in, aligned to the epoch as the exchanges (and the budget) count.
WINDOW_MS = {"binance": 10_000, "okx": 2000, "bybit": 1000}


async def _early_in_a_window(exchange: str) -> None:
    """Wait for the start of the exchange's order window, so a squeeze lands in one window (one
    that straddled two would fit both without a wait)."""
    window = WINDOW_MS[exchange]
    while (time.time() * 1000) % window > window / 10:
        await asyncio.sleep(0.005)


@pytest.mark.parametrize("exchange", EXCHANGES)
async def test_bots_above_the_rate_budget_wait_and_never_earn_a_429(
    fresh_desk: Desk, account: str, exchange: str
) -> None:
    c = fresh_desk.connect(exchange, Market.SPOT, account, usdt="100000")
    bots = [f"bot-{i}" for i in range(5)]
    wanted = SQUEEZE[exchange]
    async with fresh_desk.gateway() as gateway:
        await gateway.balance(c.ref)
        await _early_in_a_window(exchange)
        placed = await asyncio.gather(
            *(
                gateway.place_order(c.ref, resting_intent(Market.SPOT, bot=bots[i % 5], deal=f"deal-{i}"))
                for i in range(wanted)
            )
        )
        waited = gateway.budget.waited_ms()
    assert len({p.exchange_order_id for p in placed}) == wanted
    assert len(fresh_desk.exchange_orders(c)) == wanted
    assert {r.result for r in fresh_desk.records()} == {"ok"}  # not one RATE_LIMITED answer
    assert waited > 0  # the demand did exceed the budget: requests waited for the next window


async def _early_in_a_minute(deadline_s: float = 65) -> None:
    """Wait until the wall clock is in the first 40 s of a minute (the test's steps take ~2 s)."""
    give_up = time.monotonic() + deadline_s
    while not 1 <= datetime.now(UTC).second < 40:
        assert time.monotonic() < give_up, "the clock never reached the start of a minute"
        await asyncio.sleep(0.2)


async def test_binance_weight_limit_is_read_from_exchange_info_and_its_headers(fresh_desk: Desk, account: str) -> None:
    # The rate_limit fault makes the sandbox's spot weight limit 100 per minute, and exchangeInfo
    # says so. Loading markets and exchangeInfo cost 20 each, an account read 20: three reads fit
    # this minute, the fourth must wait for the next one instead of earning a 429 (then a ban).
    fresh_desk.control.fault("binance", "rate_limit", weight_per_minute=100)
    c = fresh_desk.connect("binance", Market.SPOT, account)
    await _early_in_a_minute()
    async with fresh_desk.gateway(read_ttl_s=0) as gateway:
        for i in range(4):
            await gateway.balance(c.ref, bot_id=f"bot-{i}")
        waited = gateway.budget.waited_ms()
    reads = [r for r in fresh_desk.records() if " balance " in r.purpose]
    assert [r.result for r in reads] == ["ok"] * 4
    assert waited > 0
    # Windows start at :00, as Binance counts them: the fourth read went out in the next minute.
    minutes = [r.at.replace(second=0, microsecond=0) for r in reads]
    assert minutes[0] == minutes[2] < minutes[3]


@pytest.mark.parametrize("exchange", ["okx", "bybit"])
async def test_two_keys_of_one_account_share_its_budget_and_never_earn_a_429(
    fresh_desk: Desk, account: str, exchange: str
) -> None:
    # Two credentials (two API keys of the same exchange account, as the check saw them), one
    # binding each: split over both, the squeeze still exceeds the account's one limit.
    first = fresh_desk.connect(exchange, Market.SPOT, account, usdt="100000")
    second = fresh_desk.connect(exchange, Market.SPOT, account)
    for c in (first, second):
        await _record_checked_account(fresh_desk, c)
    wanted = SQUEEZE[exchange]
    async with fresh_desk.gateway() as gateway:
        await gateway.balance(first.ref)
        await _early_in_a_window(exchange)
        placed = await asyncio.gather(
            *(
                gateway.place_order((first, second)[i % 2].ref, resting_intent(Market.SPOT, deal=f"deal-{i}"))
                for i in range(wanted)
            )
        )
        waited = gateway.budget.waited_ms()
    assert len({p.exchange_order_id for p in placed}) == wanted
    assert len(fresh_desk.exchange_orders(first)) == wanted  # both keys trade the one account
    assert {r.result for r in fresh_desk.records()} == {"ok"}  # not one RATE_LIMITED answer
    assert waited > 0


async def _record_checked_account(desk: Desk, c: Connected) -> None:
    """What saving a key after its check does: remember the account its permission call named."""
    opened = CredentialRepository(desk.store, desk.vault, desk.owner_id).open(c.credential_id, purpose="check")
    credentials = ApiCredentials(opened.api_key, opened.secret, opened.passphrase)
    async with open_adapter(c.exchange, credentials, Endpoint(sandbox_url=desk.base_url)) as adapter:
        facts = await adapter.key_facts()
    assert facts.account is not None
    CredentialRepository(desk.store, desk.vault, desk.owner_id).record_check(
        c.credential_id, verdict="CONNECTED", permissions=[], ips=[], account=facts.account
    )
