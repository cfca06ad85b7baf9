"""The sandbox web application: every exchange under its prefix plus the control API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from .control import ControlApi
from .core import Venue
from .pages import add_pages
from .protocols import PROTOCOLS, ExchangeProtocol
from .state import autosave

VENUES_KEY = web.AppKey("venues", dict)
TICK_SECONDS = 1.0


def build_venues(seed: int) -> dict[str, tuple[ExchangeProtocol, Venue]]:
    """One protocol and one venue per exchange, seeded from ``seed``."""
    venues = {}
    for offset, (name, protocol_cls) in enumerate(sorted(PROTOCOLS.items())):
        protocol = protocol_cls()
        venues[name] = (protocol, Venue(protocol_cls.venue_spec(), seed=seed + offset))
    return venues


def build_app(venues: dict[str, tuple[ExchangeProtocol, Venue]], state_path: Path | None = None) -> web.Application:
    """The aiohttp application; prices walk one step a second while it runs.

    Each exchange also serves its API-management pages at ``/<exchange>/``, and its testnet / demo
    environment at ``/<demo_path>`` where the protocol has one (same venue, demo keys only).
    With ``state_path`` the venues are saved there every few seconds when changed and on shutdown
    (loading is the caller's job, before the app is built: see :func:`.state.load`).
    """
    app = web.Application(client_max_size=1 << 20)
    app[VENUES_KEY] = venues
    app.add_routes(ControlApi(venues).routes())
    for name, (protocol, venue) in venues.items():
        add_pages(app, protocol, venue)
        app.add_subapp(f"/{name}", protocol.build_app(venue))
        if protocol.demo_path is not None:
            app.add_subapp(f"/{protocol.demo_path}", protocol.build_app(venue, environment="demo"))

    async def ticker(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(TICK_SECONDS)
                for _, venue in venues.values():
                    venue.tick()

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(ticker)
    if state_path is not None:
        app.cleanup_ctx.append(autosave(state_path, {name: venue for name, (_, venue) in venues.items()}))
    return app
