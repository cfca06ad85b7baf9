"""The ``--state`` file: the sandbox's venues saved as versioned JSON and loaded back at start.

The file holds what an exchange's own database would: accounts and balances, positions, API keys
(secrets and passphrases included, so it is written with mode 0600), orders with their fills and
the prices. Faults and the clock offset are test conditions and are not kept. Writes are atomic: a
temporary file beside the target, flushed to disk, then renamed over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from .core import Account, ApiKey, Order, Venue

FORMAT = "tradebind-sandbox-state"
VERSION = 1
SAVE_INTERVAL_S = 5.0
_log = logging.getLogger(__name__)

_ACCOUNTS = TypeAdapter(list[Account])
_KEYS = TypeAdapter(list[ApiKey])
_ORDERS = TypeAdapter(list[Order])
_PRICES = TypeAdapter(dict[str, Decimal])


class StateError(Exception):
    """The state file cannot be used; the message says why (and never quotes its contents)."""


def snapshot(venues: Mapping[str, Venue]) -> dict[str, Any]:
    """Every venue's durable state as JSON-ready data."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "venues": {
            name: {
                "accounts": _ACCOUNTS.dump_python(list(venue.accounts.values()), mode="json"),
                "keys": _KEYS.dump_python(list(venue.keys.all()), mode="json"),
                "orders": _ORDERS.dump_python(list(venue.orders.values()), mode="json"),
                "prices": {pair: str(venue.prices.get(pair)) for pair in venue.prices.pairs()},
                "pinned": sorted(venue.prices.pinned()),
            }
            for name, venue in sorted(venues.items())
        },
    }


def restore(venues: Mapping[str, Venue], data: Any) -> None:
    """Load ``data`` (from :func:`snapshot`) into fresh venues; venues missing from it stay fresh."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateError("not a tradebind sandbox state file")
    if data.get("version") != VERSION:
        raise StateError(f"state file version {data.get('version')!r} is not supported (expected {VERSION})")
    saved = data.get("venues")
    if not isinstance(saved, dict):
        raise StateError("state file has no venues")
    for name, venue in venues.items():
        entry = saved.get(name)
        if entry is None:
            continue
        try:
            accounts = _ACCOUNTS.validate_python(entry["accounts"])
            keys = _KEYS.validate_python(entry["keys"])
            orders = _ORDERS.validate_python(entry["orders"])
            prices = _PRICES.validate_python(entry["prices"])
            pinned = set(entry["pinned"])
        except (KeyError, TypeError, ValidationError) as exc:
            # Say where, not what: the file holds key secrets.
            raise StateError(f"state of {name} is damaged ({type(exc).__name__})") from None
        for acct in accounts:
            acct.wallets = defaultdict(dict, acct.wallets)  # missing wallets spring into being on use
        venue.restore(accounts, keys, orders)
        venue.prices.restore(prices, pinned)


def encode(venues: Mapping[str, Venue]) -> bytes:
    return orjson.dumps(snapshot(venues), option=orjson.OPT_INDENT_2)


def write_atomic(path: Path, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` all at once; the file is readable by its owner only."""
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save(path: Path, venues: Mapping[str, Venue]) -> None:
    write_atomic(path, encode(venues))


def load(path: Path, venues: Mapping[str, Venue]) -> bool:
    """Restore ``venues`` from ``path`` if it exists; True when something was loaded.

    A missing file is fine (the first run creates it); a missing directory is not, since nothing
    could ever be saved there.
    """
    if not path.parent.is_dir():
        raise StateError(f"directory {path.parent} does not exist")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StateError(f"{path} cannot be read ({exc.strerror})") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise StateError(f"{path} is not valid JSON") from None
    restore(venues, data)
    return True


def autosave(
    path: Path, venues: Mapping[str, Venue], interval_s: float = SAVE_INTERVAL_S
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context: save every ``interval_s`` when the state changed, and on shutdown.

    The snapshot is taken on the event loop (so it sees a consistent venue); only the disk write
    runs in a worker thread.
    """

    async def keeper(app: web.Application) -> AsyncIterator[None]:
        last = b""

        async def flush() -> None:
            nonlocal last
            payload = encode(venues)
            if payload != last:
                await asyncio.to_thread(write_atomic, path, payload)
                last = payload

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_s)
                try:
                    await flush()
                except OSError as exc:
                    # Keep serving; the next interval (or shutdown) tries again.
                    _log.warning("cannot save sandbox state to %s: %s", path, exc.strerror)

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await flush()

    return keeper
