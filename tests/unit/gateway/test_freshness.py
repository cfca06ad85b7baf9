"""A binding read knows whether its task waited since: only then must the binding be read again
before signing (a key replaced meanwhile must not sign)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tradebind.domain.credentials import Binding, Exchange, ResolvedBinding
from tradebind.domain.market import Market
from tradebind.gateway.freshness import BindingRead
from tradebind.store.binding_controls import BindingGuards, BindingSnapshot

SNAPSHOT = BindingSnapshot(
    ResolvedBinding(
        binding=Binding("b-1", "o-1", "c-1", Market.SPOT, "spot", datetime(2026, 1, 1, tzinfo=UTC)),
        credential_id="c-1",
        exchange=Exchange.OKX,
        version=1,
        version_id="v-1",
        key_id_masked="abcd…wxyz",
    ),
    BindingGuards((), None),
    None,
)


async def _ready() -> int:
    return 1


async def test_a_read_stays_current_while_its_task_runs_on_without_waiting() -> None:
    read = BindingRead(SNAPSHOT)
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    done.set_result(1)
    await _ready()  # a coroutine that finishes at once does not suspend the task
    await done  # nor does a future that is already done
    assert read.waited is False
    assert read.snapshot is SNAPSHOT


async def test_a_read_is_stale_once_its_task_has_waited() -> None:
    read = BindingRead(SNAPSHOT)
    await asyncio.sleep(0)  # the smallest wait: other tasks may run, and commit, meanwhile
    assert read.waited is True


async def test_other_tasks_running_meanwhile_mark_it_stale_for_good() -> None:
    read = BindingRead(SNAPSHOT)
    await asyncio.gather(asyncio.sleep(0.001), asyncio.sleep(0))
    later = BindingRead(SNAPSHOT)
    assert (read.waited, later.waited) == (True, False)
