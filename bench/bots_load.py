"""1,000 DCA bots on 100 bindings against the sandbox: throughput, requests per bot step, 429s,
and how soon a replaced key is the only one signing, under that load.

Run: ``.venv/bin/python -m bench.bots_load [--bindings 100] [--bots-per-binding 10] [--seconds 60]``

The sandbox runs as its own process (``tradebind sandbox --port 0``). tradebind runs in this
process as ``tradebind worker`` would: one :class:`BotRunner` (in-process schedule) over a real
:class:`GatewayService` (store on a SQLite file, local KEK file, activity-log request records),
keyless ccxt market data and the worker's heap settler (:mod:`tradebind.heap`). Each binding is
one OKX account with its own API key; BTC/USDT moves through a cycle (set with the control API)
so safety orders and take profits fill and deals cycle. Every signed request is counted through
the gateway's request sink (a counting wrapper around the activity-log sink); public
ticker/market reads are counted by the market data.

Key replacement: half-way through, the credentials of ``--replace`` bindings (10 by default, 100
bots) get new key material, one after another (``CredentialRepository.replace_material``, a
second API key of the same account). Right after each commit, one request per bot of the
binding is sent through the gateway (a look-up recorded as ``probe:<bot>``, as each bot's next
request would be if it came at once): the time to the last of them answered is the key's reach.
Also per binding, from its commit: the first request signed with the new version, and each bot's
own next request (which comes when the runner gets to the bot: under this load the bots queue for
their turn). Every request on those bindings sent after the commit is checked for the old version.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.control import Control

from tradebind.bots.market_data import CcxtMarketData
from tradebind.bots.runner import BotRunner, RunnerConfig
from tradebind.domain.key_material import validate_key_material
from tradebind.exchanges.base import Endpoint
from tradebind.gateway.api import BindingRef
from tradebind.gateway.records import ActivityRequestSink, RequestRecord
from tradebind.gateway.service import GatewayService
from tradebind.heap import HeapSettler
from tradebind.sandbox.server import SandboxProcess
from tradebind.store import BindingRepository, BotRepository, CredentialRepository, OwnerDirectory, Store
from tradebind.vault import EnvelopeVault, LocalFileKekProvider

EXCHANGE = "okx"
PROBE = "probe:"
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
    watched: set[str] = field(default_factory=set)  # binding ids whose keys get replaced
    # (sent at, epoch s; binding, bot, version) of the watched bindings' requests
    requests: list[tuple[float, str, str | None, int]] = field(default_factory=list)

    def record_now(self, entry: RequestRecord) -> Awaitable[None] | None:
        self.by_op[entry.endpoint.split(" ")[1]] += 1  # "okx place BTC/USDT ..."
        self.by_result[entry.result] += 1
        if entry.binding_id in self.watched:
            assert entry.sent_at is not None
            self.requests.append((entry.sent_at, entry.binding_id, entry.bot_id, entry.version))
        return self.inner.record_now(entry)

    async def sent(self, owner_id: str, binding_id: str, client_order_id: str) -> bool:
        return await self.inner.sent(owner_id, binding_id, client_order_id)

    async def flush(self) -> None:
        await self.inner.flush()

    async def close(self) -> None:
        await self.inner.close()


@dataclass(frozen=True)
class Seeded:
    binding_id: str
    credential_id: str
    account: str
    bots: tuple[str, ...]


def seed(
    store: Store, vault: EnvelopeVault, control: Control, bindings: int, per_binding: int
) -> tuple[str, list[Seeded]]:
    """Accounts, keys, credentials, spot bindings, running bots: the owner and every binding."""
    owner = OwnerDirectory(store).create("bench")
    creds, binds, bots = (
        CredentialRepository(store, vault, owner.id),
        BindingRepository(store, owner.id),
        BotRepository(store, owner.id),
    )
    seeded: list[Seeded] = []
    for b in range(bindings):
        account = f"bench-{b:03d}"
        key = control.create_key(EXCHANGE, account, ["read", "trade"], passphrase=PASSPHRASE)
        control.deposit(EXCHANGE, account, "trading", "USDT", "1000000")
        cred = creds.add(validate_key_material(EXCHANGE, key["api_key"], key["secret"], PASSPHRASE), account)
        binding = binds.add(cred.id, "spot", account)
        bot_ids = []
        for n in range(per_binding):
            bot = bots.add(f"dca {b}-{n}", binding.id, "BTC/USDT", "dca", PARAMS)
            bots.set_state(bot.id, "running")
            bot_ids.append(bot.id)
        seeded.append(Seeded(binding.id, cred.id, account, tuple(bot_ids)))
    return owner.id, seeded


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
        owner_id, seeded = seed(store, vault, control, args.bindings, args.bots_per_binding)
        seed_s = time.monotonic() - started
        replaced = seeded[: args.replace]
        sink = CountingSink(ActivityRequestSink(store), watched={s.binding_id for s in replaced})
        gateway = GatewayService(store, vault, Endpoint(sandbox_url=sandbox.url), sink=sink)
        market = CcxtMarketData(sandbox.url)
        runner = BotRunner(store, gateway, market, config=RunnerConfig(interval_s=args.interval))
        stop = asyncio.Event()
        prices = asyncio.create_task(drive_prices(control, args.hold, stop))
        orders_before = len(_all_orders(control, args.bindings))
        loop = asyncio.create_task(runner.run())
        settling = asyncio.create_task(HeapSettler().run())  # as tradebind worker does
        t0 = time.monotonic()
        await asyncio.sleep(args.seconds / 2)
        replaced_at: dict[str, float] = {}
        probes: list[asyncio.Task[float]] = []
        for one in replaced:
            new_key = control.create_key(EXCHANGE, one.account, ["read", "trade"], passphrase=PASSPHRASE)
            material = validate_key_material(EXCHANGE, new_key["api_key"], new_key["secret"], PASSPHRASE)
            repo = CredentialRepository(store, vault, owner_id)
            await asyncio.to_thread(repo.replace_material, one.credential_id, material)
            replaced_at[one.binding_id] = time.time()  # committed
            ref = BindingRef(owner_id, one.binding_id)
            probes += [asyncio.create_task(_probe(gateway, ref, bot, n)) for n, bot in enumerate(one.bots)]
        answered = await asyncio.gather(*probes)
        await asyncio.sleep(args.seconds / 2)
        runner.stop()
        await loop
        settling.cancel()
        elapsed = time.monotonic() - t0
        stop.set()
        await prices
        await gateway.close()
        await market.close()
        orders = len(_all_orders(control, args.bindings)) - orders_before
        store.close()

    signed = sum(sink.by_op.values())
    reach = _replacement_reach(sink.requests, replaced_at, args.bots_per_binding)
    per_binding = args.bots_per_binding
    probe_last = [
        max(answered[i * per_binding : (i + 1) * per_binding]) - at for i, at in enumerate(replaced_at.values())
    ]
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
        "bot_step_interval_s": round(elapsed / max(runner.steps / (args.bindings * args.bots_per_binding), 1), 1),
        "key_replacement_to_last_bot_answered_on_new_key_s": _spread(probe_last),
        **reach,
    }


async def _probe(gateway: GatewayService, ref: BindingRef, bot_id: str, n: int) -> float:
    """One signed request on behalf of ``bot_id`` right after its binding's key was replaced (the
    look-up of an order it never placed), as the bot's next request would be if it came at once.
    Recorded as ``probe:<bot>``. Returns when it was answered (epoch seconds)."""
    await gateway.query_order(ref, "BTC/USDT", f"keyprobe{n}", bot_id=f"{PROBE}{bot_id}")
    return time.time()


def _spread(xs: list[float]) -> str | None:
    if not xs:
        return None
    return f"median {statistics.median(xs):.3f} / max {max(xs):.3f} (n={len(xs)})"


def _replacement_reach(
    requests: list[tuple[float, str, str | None, int]], replaced_at: dict[str, float], per_binding: int
) -> dict[str, Any]:
    """Per replaced binding: commit → first new-key request (switch) and → each bot's first request."""
    switch: list[float] = []
    last_bot: list[float] = []
    bot_first: list[float] = []
    old_after = 0
    unreached = 0
    for binding_id, at in replaced_at.items():
        after = sorted((t, bot, v) for t, b, bot, v in requests if b == binding_id and t > at)
        old_after += sum(1 for _, _, v in after if v == 1)
        new = [(t - at, bot) for t, bot, v in after if v == 2]
        if new:
            switch.append(new[0][0])
        firsts: dict[str, float] = {}
        for delay, bot in new:
            if bot is not None and not bot.startswith(PROBE):
                firsts.setdefault(bot, delay)
        bot_first.extend(firsts.values())
        unreached += per_binding - len(firsts)
        if len(firsts) == per_binding:
            last_bot.append(max(firsts.values()))

    return {
        "key_replacement_to_first_new_key_request_s": _spread(switch),
        "key_replacement_to_each_bots_own_next_request_s": _spread(bot_first),
        "key_replacement_to_last_bots_own_next_request_s": _spread(last_bot),
        "bots_without_a_request_after_replacement": unreached,
        "old_key_requests_started_after_replacement": old_after,
    }


def _all_orders(control: Control, bindings: int) -> list[dict[str, Any]]:
    return [o for b in range(bindings) for o in control.orders(EXCHANGE, f"bench-{b:03d}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindings", type=int, default=100)
    parser.add_argument("--bots-per-binding", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=1.0, help="runner tick interval, seconds")
    parser.add_argument("--hold", type=float, default=3.0, help="seconds each price of the cycle holds")
    parser.add_argument("--replace", type=int, default=10, help="bindings whose key is replaced half-way")
    result = asyncio.run(run(parser.parse_args()))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
