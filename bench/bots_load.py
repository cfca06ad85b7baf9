"""1,000 DCA bots on 100 bindings against the sandbox: throughput, requests per bot step, 429s,
and how soon a replaced key is the only one signing, under that load.

Run: ``.venv/bin/python -m bench.bots_load [--bindings 100] [--bots-per-binding 10] [--seconds 60]``

The sandbox runs as its own process (``tradebind sandbox --port 0``). tradebind runs in this
process as ``tradebind worker`` would: one :class:`BotRunner` (in-process schedule) over a real
:class:`GatewayService` (store on a SQLite file, local KEK file, activity-log request records)
and keyless ccxt market data. Each binding is one OKX account with its own API key; BTC/USDT moves
through a cycle (set with the control API) so safety orders and take profits fill and deals
cycle. Every signed request is counted through the gateway's request sink (a counting wrapper
around the activity-log sink); public ticker/market reads are counted by the market data.

Key replacement: half-way through, one binding's credential gets new key material
(``CredentialRepository.replace_material``, a second API key of the same account); the figure is
the time from that commit to the first request signed with the new version, and the check that
no request signed with the old version starts after that point.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.control import Control

from tradebind.bots.market_data import CcxtMarketData
from tradebind.bots.runner import BotRunner, RunnerConfig
from tradebind.domain.key_material import validate_key_material
from tradebind.exchanges.base import Endpoint
from tradebind.gateway.records import ActivityRequestSink, RequestRecord
from tradebind.gateway.service import GatewayService
from tradebind.sandbox.server import SandboxProcess
from tradebind.store import BindingRepository, BotRepository, CredentialRepository, OwnerDirectory, Store
from tradebind.vault import EnvelopeVault, LocalFileKekProvider

EXCHANGE = "okx"
PASSPHRASE = "Bench-pass-1"
CYCLE = ["65000", "64300", "63600", "64700", "65600"]
PARAMS: dict[str, Any] = {
    "base_order_quote": "20",
    "safety_order_quote": "20",
    "max_safety_orders": 2,
    "price_deviation_pct": "1",
    "take_profit_pct": "0.5",
}


@dataclass
class CountingSink:
    """The activity-log sink, counting every record by operation and result on the way."""

    inner: ActivityRequestSink
    by_op: Counter[str] = field(default_factory=Counter)
    by_result: Counter[str] = field(default_factory=Counter)
    watched: str | None = None  # binding id whose key gets replaced
    versions: list[tuple[float, int]] = field(default_factory=list)  # (finished at, version) of its requests

    async def record(self, entry: RequestRecord) -> None:
        self.by_op[entry.endpoint.split(" ")[1]] += 1  # "okx place BTC/USDT ..."
        self.by_result[entry.result] += 1
        if entry.binding_id == self.watched:
            # The record is written after the response: the request started latency_ms earlier.
            self.versions.append((time.monotonic() - entry.latency_ms / 1000, entry.version))
        await self.inner.record(entry)

    async def close(self) -> None:
        await self.inner.close()


def seed(store: Store, vault: EnvelopeVault, control: Control, bindings: int, per_binding: int) -> tuple[str, str, str]:
    """Accounts, keys, credentials, spot bindings, running bots; (owner, credential, account) of binding 0."""
    owner = OwnerDirectory(store).create("bench")
    creds, binds, bots = (
        CredentialRepository(store, vault, owner.id),
        BindingRepository(store, owner.id),
        BotRepository(store, owner.id),
    )
    first: tuple[str, str, str] | None = None
    for b in range(bindings):
        account = f"bench-{b:03d}"
        key = control.create_key(EXCHANGE, account, ["read", "trade"], passphrase=PASSPHRASE)
        control.deposit(EXCHANGE, account, "trading", "USDT", "1000000")
        cred = creds.add(validate_key_material(EXCHANGE, key["api_key"], key["secret"], PASSPHRASE), account)
        binding = binds.add(cred.id, "spot", account)
        for n in range(per_binding):
            bot = bots.add(f"dca {b}-{n}", binding.id, "BTC/USDT", "dca", PARAMS)
            bots.set_state(bot.id, "running")
        if first is None:
            first = (owner.id, cred.id, account)
    assert first is not None
    return first


async def drive_prices(control: Control, hold_s: float, stop: asyncio.Event) -> None:
    n = 0
    while not stop.is_set():
        await asyncio.to_thread(control.set_price, EXCHANGE, "BTC/USDT", CYCLE[n % len(CYCLE)])
        n += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), hold_s)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess() as sandbox:
        control = Control(sandbox.url)
        control.set_price(EXCHANGE, "BTC/USDT", CYCLE[0])
        store = Store.open(f"sqlite:///{Path(tmp) / 'data' / 'tradebind.sqlite3'}")
        vault = EnvelopeVault(LocalFileKekProvider(Path(tmp) / "tradebind.kek"))
        started = time.monotonic()
        owner_id, cred_id, account = seed(store, vault, control, args.bindings, args.bots_per_binding)
        seed_s = time.monotonic() - started
        watched = BindingRepository(store, owner_id).all(credential_id=cred_id)[0].id
        sink = CountingSink(ActivityRequestSink(store), watched=watched)
        gateway = GatewayService(store, vault, Endpoint(sandbox_url=sandbox.url), sink=sink)
        market = CcxtMarketData(sandbox.url)
        runner = BotRunner(store, gateway, market, config=RunnerConfig(interval_s=args.interval))
        stop = asyncio.Event()
        prices = asyncio.create_task(drive_prices(control, args.hold, stop))
        orders_before = len(_all_orders(control, args.bindings))
        loop = asyncio.create_task(runner.run())
        t0 = time.monotonic()
        await asyncio.sleep(args.seconds / 2)
        new_key = control.create_key(EXCHANGE, account, ["read", "trade"], passphrase=PASSPHRASE)
        material = validate_key_material(EXCHANGE, new_key["api_key"], new_key["secret"], PASSPHRASE)
        await asyncio.to_thread(CredentialRepository(store, vault, owner_id).replace_material, cred_id, material)
        replaced_at = time.monotonic()
        await asyncio.sleep(args.seconds / 2)
        runner.stop()
        await loop
        elapsed = time.monotonic() - t0
        stop.set()
        await prices
        await gateway.close()
        await market.close()
        orders = len(_all_orders(control, args.bindings)) - orders_before
        store.close()

    signed = sum(sink.by_op.values())
    new_version = [t for t, v in sink.versions if v == 2]
    old_after = [t for t, v in sink.versions if v == 1 and t > replaced_at]
    first_new = min(new_version) - replaced_at if new_version else None
    rate_limited = sum(n for result, n in sink.by_result.items() if "RATE_LIMITED" in result or "429" in result)
    return {
        "bots": args.bindings * args.bots_per_binding,
        "bindings": args.bindings,
        "seed_s": round(seed_s, 1),
        "seconds": round(elapsed, 1),
        "ticks": runner.ticks,
        "bot_steps": runner.steps,
        "orders_placed": orders,
        "orders_per_s": round(orders / elapsed, 1),
        "signed_requests": signed,
        "public_requests": market.requests,
        "requests_per_bot_step": round((signed + market.requests) / max(runner.steps, 1), 3),
        "balance_reads_per_binding_tick": round(sink.by_op["balance"] / max(runner.ticks * args.bindings, 1), 3),
        "by_op": dict(sink.by_op),
        "rate_limited_429": rate_limited,
        "results": dict(sink.by_result.most_common(8)),
        "key_replacement_to_first_new_request_s": None if first_new is None else round(first_new, 3),
        "old_key_requests_started_after_replacement": len(old_after),
        "old_key_last_started_after_replacement_s": round(max(old_after) - replaced_at, 3) if old_after else None,
        "median_gap_between_watched_requests_s": _median_gap([t for t, _ in sink.versions]),
    }


def _median_gap(times: list[float]) -> float | None:
    ordered = sorted(times)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    return round(statistics.median(gaps), 3) if gaps else None


def _all_orders(control: Control, bindings: int) -> list[dict[str, Any]]:
    return [o for b in range(bindings) for o in control.orders(EXCHANGE, f"bench-{b:03d}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindings", type=int, default=100)
    parser.add_argument("--bots-per-binding", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=1.0, help="runner tick interval, seconds")
    parser.add_argument("--hold", type=float, default=3.0, help="seconds each price of the cycle holds")
    result = asyncio.run(run(parser.parse_args()))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
