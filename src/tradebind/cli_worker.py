"""``tradebind worker``: run the bots (in-process runner) until stopped.

The worker opens the store and the vault from the environment (see :mod:`tradebind.settings`),
builds the gateway (the only part that decrypts keys) and runs every bot whose state is
``running``. Killed at any moment — even with SIGKILL mid-order — it resumes from the stored
deals on the next start: every order a deal says may exist is queried by client order id first.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from .bots.runner import RunnerConfig
    from .settings import Settings

__all__ = ["worker_command"]


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
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "INFO",
) -> None:
    """Run the bots until stopped (Ctrl-C or SIGTERM finish the current tick first)."""
    from .bots.runner import RunnerConfig
    from .settings import Settings, SettingsError

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    config = RunnerConfig(interval_s=interval, unknown_grace_s=unknown_grace)
    asyncio.run(_run(settings, config, sandbox_url))


async def _run(settings: Settings, config: RunnerConfig, sandbox_url: str | None) -> None:
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
    try:
        await runner.run()
    finally:
        await market.close()
        await gateway.close()
        store.close()
