"""``tradebind worker``: run the bots (in-process runner) until stopped.

The worker opens the store and the vault from the environment (see :mod:`tradebind.settings`),
builds the gateway (the only part that decrypts keys) and runs every bot whose state is
``running``. Killed at any moment — even with SIGKILL mid-order — it resumes from the stored
deals on the next start: every order a deal says may exist is queried by client order id first.
Beside the bots it keeps house: it settles its heap (:mod:`tradebind.heap`) and prunes the
sent-order journal past its retention (:mod:`tradebind.store.sent_orders`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from .bots.runner import RunnerConfig
    from .heap import HeapSettler
    from .settings import Settings
    from .store import Store

__all__ = ["worker_command"]

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0  # the sent-order journal's retention is a week: hourly is plenty


def worker_command(
    sandbox_url: Annotated[
        str | None,
        typer.Option(
            "--sandbox-url",
            envvar="TRADEBIND_SANDBOX_URL",
            help="Trade against a tradebind sandbox at this URL instead of the real exchanges.",
        ),
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between bot ticks.", min=0.05, max=3600)] = 1.0,
    unknown_grace: Annotated[
        float | None,
        typer.Option(
            help="Seconds before an order of unknown outcome that the exchange has never seen is sent again "
            "(default: the exchange's request expiry).",
            min=0.5,
            max=600,
        ),
    ] = None,
    settle_heap_every: Annotated[
        float,
        typer.Option(
            help="Seconds between freezes of the long-lived heap, so the garbage collector leaves it alone "
            "(the first comes after at most 30 s; 0: never).",
            min=0,
            max=86400,
        ),
    ] = 600.0,
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "INFO",
) -> None:
    """Run the bots until stopped (Ctrl-C or SIGTERM finish the current tick first)."""
    from .bots.runner import RunnerConfig
    from .heap import HeapSettler
    from .settings import Settings, SettingsError

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    config = RunnerConfig(interval_s=interval, unknown_grace_s=unknown_grace)
    heap = HeapSettler(every_s=settle_heap_every, first_s=min(30.0, settle_heap_every)) if settle_heap_every else None
    asyncio.run(_run(settings, config, sandbox_url, heap))


async def _run(settings: Settings, config: RunnerConfig, sandbox_url: str | None, heap: HeapSettler | None) -> None:
    from .bots.market_data import CcxtMarketData
    from .bots.runner import BotRunner
    from .cli_admin import build_vault
    from .exchanges.base import Endpoint
    from .gateway.service import GatewayService
    from .store import Store

    store = Store.open(settings.database_url)
    vault = build_vault(settings)
    gateway = GatewayService(store, vault, Endpoint(sandbox_url=sandbox_url))
    market = CcxtMarketData(sandbox_url)
    runner = BotRunner(store, gateway, market, config=config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runner.stop)
    typer.echo(f"tradebind worker {config.worker_id} running (tick every {config.interval_s} s)", err=True)
    chores = [asyncio.create_task(_prune_journal(store))]
    if heap is not None:
        chores.append(asyncio.create_task(heap.run()))
    try:
        await runner.run()
    finally:
        for chore in chores:
            chore.cancel()
        await asyncio.gather(*chores, return_exceptions=True)
        await market.close()
        await gateway.close()
        store.close()


async def _prune_journal(store: Store) -> None:
    """Delete sent-order journal entries past their retention: at start, then every hour.

    A failed prune (the database busy or down) is logged and tried again next time; the bots run
    on regardless."""
    from .store.sent_orders import SENT_ORDER_RETENTION, prune_sent_orders

    while True:
        before = datetime.now(UTC) - SENT_ORDER_RETENTION
        try:
            pruned = await asyncio.to_thread(prune_sent_orders, store, before=before)
        except Exception as exc:
            log.warning("sent-order journal not pruned: %s", type(exc).__name__)
        else:
            if pruned:
                log.info("sent-order journal pruned: %d sent before %s", pruned, before.isoformat())
        await asyncio.sleep(PRUNE_EVERY_S)
