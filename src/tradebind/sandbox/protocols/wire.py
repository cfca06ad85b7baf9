"""Small HTTP helpers shared by the protocol modules (no exchange knowledge in here)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from ..core import FaultKind, Venue


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response; Decimals must already be strings (exchanges send numbers as strings)."""
    return web.Response(body=orjson.dumps(payload), status=status, headers=headers, content_type="application/json")


def client_ip(request: web.Request) -> str:
    """The peer address the request came from; keys with an IP list are checked against it."""
    return request.remote or ""


async def apply_latency(venue: Venue, request: web.Request) -> None:
    """Delay a request while a ``latency`` fault is active.

    The whole request is read first: a slow exchange has still received it, so a client that gives
    up while waiting leaves an order of unknown outcome (executed, unanswered), as on the real
    exchanges. aiohttp caches the body, so handlers read it again at no cost.
    """
    fault = venue.faults.trip(FaultKind.LATENCY)
    if fault is not None:
        await request.read()
        await asyncio.sleep(fault.number("ms") / 1000)


def drop_connection(request: web.Request) -> web.Response:
    """Close the client's connection without a response (the ``drop_after_accept`` fault).

    Whatever the handler did before this stays done: the order is stored, the client never hears.
    """
    transport = request.transport
    if transport is not None:
        transport.abort()
    # aiohttp writes nothing to an aborted transport; the response object only ends the handler.
    return web.Response(status=499)
