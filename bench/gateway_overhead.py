"""Gateway overhead per request against a bare ccxt call, and key-replacement reach.

Run: ``.venv/bin/python -m bench.gateway_overhead [--requests 200] [--bots 20] [--concurrency 20 100]
[--exchange binance ...] [--latency-ms 0] [--power-safe] [--no-heap-settle]``

The sandbox runs as its own process (``tradebind sandbox --port 0``); the store is a fresh SQLite
file, the vault a local key file. Per exchange: one account, one spot key, one credential and
binding through the real store and vault, one resting order placed through the gateway.

1. *Sequential*: the same signed read, looking the order up by client order id, ``--requests``
   times through a bare ``ccxt.async_support`` client (unmodified, only ``urls['api']`` set) and
   through ``GatewayService.query_order`` (store snapshot → pooled client → budget → the same ccxt
   call → request record journaled, then copied to the activity log), interleaved in blocks of 20
   so drift hits both alike (the bare client on an account of its own). Also ``create_order``
   against ``place_order`` (which also journals the client order id before sending), in blocks
   of 10, 60 each. The gateway's journal is copied into the store after each block, untimed,
   so that copy (off the request path, by a thread of its own) does not land in the next block
   of either side (with turns, the next block may be the bare side's).
2. *Concurrent*: for each ``--concurrency`` N, N bots do the read at once, spread over one
   account (binding) per 10 bots as bots share keys in practice (and so no account's own limit
   is the bottleneck); the bare side is one ccxt client per account of its own. Timed: the wall
   time of the N requests, per round, and this process's CPU time per request in it (all
   threads: the sandbox answers on the other core, so a burst is as long as its CPU time here).
3. *Key replacement*: ``--bots`` bots each do the read on the old key; the credential's material
   is replaced (``CredentialRepository.replace_material``) and every bot's next read comes at
   once; timed from the commit to the last of them answered (one round trip included), and every
   request recorded after the commit is checked to be signed with the new version.

In every round the two sides take turns to go first, after one untimed request each: this VM runs
slower for a moment after an idle wait (the pauses that keep within the exchanges' limits), and a
side that always came first paid for that alone (before 2026-12-07, the bare side did).

``--latency-ms`` adds the sandbox's latency fault to every request (both paths) to see the
overhead against a network round trip like a real exchange's. ``--power-safe`` makes the request
records fsync every commit on SQLite (``synchronous=FULL``; the default is ``NORMAL`` under WAL,
see :class:`tradebind.gateway.records.ActivityRequestSink`).

After each warm-up the heap is settled (:class:`tradebind.heap.HeapSettler`), as ``tradebind
worker`` does once its clients are open; the bare side runs in the same process, so it is
settled too.
``--no-heap-settle`` keeps the interpreter's collector defaults, for comparison.

The gateway connects from 127.0.0.21, the bare clients from 127.0.0.22: Binance counts request
weight per IP, so neither side's requests use up the other's minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from tests.support.control import Control

from tradebind.domain.key_material import KeyMaterial, validate_key_material
from tradebind.exchanges.base import ApiCredentials, Endpoint
from tradebind.exchanges.registry import ADAPTERS, open_adapter
from tradebind.gateway.api import BindingRef, OrderIntent, OrderKind, OrderSide
from tradebind.gateway.records import ActivityRequestSink
from tradebind.gateway.service import GatewayService
from tradebind.gateway.trading import query_by_client_id
from tradebind.heap import HeapSettler
from tradebind.sandbox.server import SandboxProcess
from tradebind.store import BindingRepository, CredentialRepository, OwnerDirectory, Store
from tradebind.store.activity import ActivityRepository
from tradebind.vault import EnvelopeVault, LocalFileKekProvider
from tradebind.vault.api import SecretValue

PASSPHRASE = "Bench-Pass-1"
RIGHTS = {"binance": ["read", "spot"], "okx": ["read", "trade"], "bybit": ["read", "spot"]}
WALLET = {"binance": "spot", "okx": "trading", "bybit": "unified"}
SYMBOL = "BTC/USDT"
BLOCK = 20
# OKX allows 60 order look-ups per 2 s per account and instrument, Bybit 50 per second
# (exchanges.md §2.5, §3.5): a bare client knows no limit, so the bench pauses (untimed) between
# rounds to keep both sides within them. A second apart: as the sides take turns to go first, a
# side's blocks of two rounds come back to back (41 look-ups with the wake-up), and no two-second
# window may hold a third (0.8 s let OKX's bare side meet its limit).
PAUSE_S = {"okx": 1.0, "bybit": 1.0}
# Orders per side and block, blocks, and the pause after each: within every exchange's order-rate
# limit for one account (Binance spot 50 per 10 s, OKX 60 per 2 s, Bybit spot 20 per second).
PLACES, PLACE_BLOCKS, PLACE_PAUSE_S = 10, 6, 2.5
BOTS_PER_ACCOUNT = 10
GATEWAY_IP, BARE_IP = "127.0.0.21", "127.0.0.22"
T = TypeVar("T")


class Bench:
    def __init__(self, url: str, data: Path, heap: HeapSettler | None) -> None:
        self.url = url
        self.heap = heap
        self.control = Control(url)
        self.store = Store.open(f"sqlite:///{data / 'tradebind.sqlite3'}")
        self.vault = EnvelopeVault(LocalFileKekProvider(data / "tradebind.kek"))
        self.owner = OwnerDirectory(self.store).create("bench").id
        self.endpoint = Endpoint(sandbox_url=url, source_ip=GATEWAY_IP)
        self.bare_endpoint = Endpoint(sandbox_url=url, source_ip=BARE_IP)

    def new_key(self, exchange: str, account: str) -> tuple[dict[str, Any], KeyMaterial]:
        extra = {"passphrase": PASSPHRASE} if exchange == "okx" else {}
        key = self.control.create_key(exchange, account, RIGHTS[exchange], **extra)
        material = validate_key_material(exchange, key["api_key"], key["secret"], extra.get("passphrase"))
        return key, material

    def connect(self, exchange: str) -> tuple[BindingRef, str, dict[str, Any]]:
        account = f"bench-{exchange}-{time.monotonic_ns()}"
        self.control.deposit(exchange, account, WALLET[exchange], "USDT", "1000000")
        key, material = self.new_key(exchange, account)
        credential = CredentialRepository(self.store, self.vault, self.owner).add(material, f"bench {exchange}")
        binding = BindingRepository(self.store, self.owner).add(credential.id, "spot", "bench")
        return BindingRef(self.owner, binding.id), credential.id, {**key, "account": account}

    def settle(self) -> None:
        """After a warm-up (see the module's docstring)."""
        if self.heap is not None:
            self.heap.settle()


def _intent(i: int, bot: str = "bench") -> OrderIntent:
    return OrderIntent(
        bot, f"deal-{i}", "base", SYMBOL, OrderSide.BUY, OrderKind.LIMIT, Decimal("0.02"), Decimal("1000")
    )


async def _timed(n: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    out = []
    for i in range(n):
        started = time.perf_counter()
        await call(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _stats(ms: list[float]) -> tuple[float, float]:
    return statistics.median(ms), statistics.quantiles(ms, n=20, method="inclusive")[18]


def _credentials(key: dict[str, Any], exchange: str) -> ApiCredentials:
    phrase = SecretValue(PASSPHRASE) if exchange == "okx" else None
    return ApiCredentials(SecretValue(key["api_key"]), SecretValue(key["secret"]), phrase)


async def _exchange(
    bench: Bench, exchange: str, requests: int, bots: int, concurrency: list[int], power_safe: bool
) -> list[str]:
    ref, credential_id, key = bench.connect(exchange)
    rows = []
    sink = ActivityRequestSink(bench.store, power_safe=power_safe)
    async with GatewayService(bench.store, bench.vault, bench.endpoint, read_ttl_s=0, sink=sink) as gateway:
        order = await gateway.place_order(ref, _intent(0))
        cid = order.client_order_id
        # The bare client trades on an account of its own, so neither side's orders count
        # against the other's order-rate limit.
        _, _, bare_key = bench.connect(exchange)
        async with open_adapter(exchange, _credentials(bare_key, exchange), bench.bare_endpoint) as bare:
            await bare.client.load_markets()
            client = bare.client
            bare_cid = f"bare{exchange}0"
            await client.create_order(SYMBOL, "limit", "buy", 0.02, 1000, {"clientOrderId": bare_cid})

            async def bare_query(_: int) -> object:
                return await query_by_client_id(client, exchange, SYMBOL, bare_cid)

            async def gateway_query(_: int) -> object:
                return await gateway.query_order(ref, SYMBOL, cid)

            await _timed(BLOCK, bare_query)  # warm both paths
            await _timed(BLOCK, gateway_query)
            await gateway.flush_records()
            bench.settle()
            bare_ms: list[float] = []
            gateway_ms: list[float] = []
            for r in range(max(1, requests // BLOCK)):
                await _wake(bare_query, gateway_query)
                for out, call in _in_turn(r, (bare_ms, bare_query), (gateway_ms, gateway_query)):
                    out += await _timed(BLOCK, call)
                    await gateway.flush_records()  # untimed: the copy runs between blocks, not in the next
                await asyncio.sleep(PAUSE_S.get(exchange, 0))  # untimed: stay within the limit
            rows.append(_row(exchange, "query_order (sequential)", bare_ms, gateway_ms))

            async def bare_place(i: int) -> object:
                params = {"clientOrderId": f"bare{exchange}{i}x{time.monotonic_ns()}"}
                return await client.create_order(SYMBOL, "limit", "buy", 0.02, 1000, params)

            async def gateway_place(i: int) -> object:
                return await gateway.place_order(ref, _intent(1_000_000 + i + time.monotonic_ns()))

            bare_places: list[float] = []
            gateway_places: list[float] = []
            for r in range(PLACE_BLOCKS):
                await _wake(bare_query, gateway_query)
                for out, place in _in_turn(r, (bare_places, bare_place), (gateway_places, gateway_place)):
                    out += await _timed(PLACES, place)
                    await gateway.flush_records()
                await asyncio.sleep(PLACE_PAUSE_S)  # untimed: within every exchange's order-rate limit
            rows.append(_row(exchange, "place_order (sequential)", bare_places, gateway_places))
        rows.append(await _replacement(bench, gateway, exchange, ref, credential_id, key, cid, bots))
        for n in concurrency:
            if exchange == "binance":
                await _next_minute()  # untimed: a fresh weight window (per IP, per clock minute)
            rows.append(await _concurrent(bench, gateway, exchange, n))
    return rows


def _in_turn(round_no: int, *sides: T) -> tuple[T, ...]:
    """The sides in the order round ``round_no`` runs them: each goes first every other round, so
    neither always comes right after the untimed pause (this VM runs slower for a moment after an
    idle wait, and whichever side came first paid for it)."""
    return sides if round_no % 2 == 0 else sides[::-1]


async def _wake(*calls: Callable[[int], Awaitable[object]]) -> None:
    """One untimed request on each side after a pause, so the timed ones start warm."""
    for call in calls:
        await call(0)


async def _next_minute() -> None:
    await asyncio.sleep(60.5 - datetime.now(UTC).second - datetime.now(UTC).microsecond / 1e6)


async def _concurrent(bench: Bench, gateway: GatewayService, exchange: str, bots: int) -> str:
    """``bots`` look-ups at once over one account per 10 bots; wall time per round of all of them."""
    accounts = max(1, bots // BOTS_PER_ACCOUNT)
    refs: list[BindingRef] = []
    cids: list[str] = []
    clients: list[tuple[Any, str]] = []
    async with contextlib.AsyncExitStack() as stack:
        for a in range(accounts):
            ref, _, _ = bench.connect(exchange)
            refs.append(ref)
            cids.append((await gateway.place_order(ref, _intent(a, bot=f"c{bots}"))).client_order_id)
            _, _, bare_key = bench.connect(exchange)
            adapter = open_adapter(exchange, _credentials(bare_key, exchange), bench.bare_endpoint)
            stack.push_async_callback(adapter.close)
            adapter.client.set_markets(clients[0][0].markets if clients else await adapter.client.load_markets())
            bare_cid = f"bare{exchange}c{bots}x{a}"
            await adapter.client.create_order(SYMBOL, "limit", "buy", 0.02, 1000, {"clientOrderId": bare_cid})
            clients.append((adapter.client, bare_cid))

        async def bare(i: int) -> object:
            client, bare_cid = clients[i % accounts]
            return await query_by_client_id(client, exchange, SYMBOL, bare_cid)

        async def through_gateway(i: int) -> object:
            return await gateway.query_order(refs[i % accounts], SYMBOL, cids[i % accounts], bot_id=f"bot-{i}")

        async def burst(call: Callable[[int], Awaitable[object]]) -> tuple[float, float]:
            """Wall time of the burst (ms), and this process's CPU time per request in it (µs)."""
            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(call(i) for i in range(bots)))
            return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1e6 / bots

        await burst(bare)  # warm: every client connected, every session open
        await burst(through_gateway)
        bench.settle()
        bare_runs: list[tuple[float, float]] = []
        gateway_runs: list[tuple[float, float]] = []
        # Bybit also allows 600 requests per 5 s per IP (exchanges.md §3.5): N per round per side.
        pause = PAUSE_S.get(exchange, 0) + (bots * 5 / 600 if exchange == "bybit" else 0)
        for r in range(ROUNDS):
            await asyncio.sleep(pause)  # untimed: stay within the limits
            await _wake(bare, through_gateway)
            for out, call in _in_turn(r, (bare_runs, bare), (gateway_runs, through_gateway)):
                out.append(await burst(call))
                await gateway.flush_records()  # untimed: the copy runs between bursts, not in the next
    what = f"query_order, {bots} bots at once on {accounts} account(s)"
    wall = _row(exchange, f"{what}: wall time of all {bots}", [w for w, _ in bare_runs], [w for w, _ in gateway_runs])
    cpu = _row(
        exchange,
        f"{what}: CPU time per request (µs, not ms)",
        [c for _, c in bare_runs],
        [c for _, c in gateway_runs],
    )
    return f"{wall}\n{cpu}"


async def _replacement(
    bench: Bench,
    gateway: GatewayService,
    exchange: str,
    ref: BindingRef,
    credential_id: str,
    key: dict[str, Any],
    cid: str,
    bots: int,
) -> str:
    names = [f"bot-{i}" for i in range(bots)]
    # Every bot has used the old key (its session is open), then the key is replaced and each
    # bot's next request comes at once: the time to the last of them answered is the switch.
    await asyncio.gather(*(gateway.query_order(ref, SYMBOL, cid, bot_id=n) for n in names))
    _, material = bench.new_key(exchange, key["account"])
    repo = CredentialRepository(bench.store, bench.vault, bench.owner)
    version = (await asyncio.to_thread(repo.replace_material, credential_id, material)).version
    committed, started = datetime.now(UTC), time.monotonic()

    async def next_request(name: str) -> float:
        await gateway.query_order(ref, SYMBOL, cid, bot_id=name)
        return (time.monotonic() - started) * 1000

    answered = await asyncio.gather(*(next_request(n) for n in names))
    await gateway.flush_records()
    bench.control.delete_key(key["api_key"])
    after = [
        e
        for e in ActivityRepository(bench.store, bench.owner).recent(limit=1000)
        if e.action == "exchange.request" and e.at >= committed and e.actor.removeprefix("bot:") in names
    ]
    on_new = {e.actor for e in after if e.details.get("version") == version}
    on_old = [e for e in after if e.details.get("version") != version]
    if len(on_new) < bots or on_old:
        what = f"{len(on_new)} of {bots} bots on the new key, {len(on_old)} requests on the old one"
        return f"| {exchange} | key replacement: {what} | | | | | |"
    what = f"key replacement → each of {bots} bots' next request answered with the new key (ms after the commit)"
    return f"| {exchange} | {what} | {bots} | | first {min(answered):.0f} | last {max(answered):.0f} | |"


ROUNDS = 10


def _row(exchange: str, what: str, bare: list[float], gateway: list[float]) -> str:
    (b50, b95), (g50, g95) = _stats(bare), _stats(gateway)
    overhead = g50 - b50
    return (
        f"| {exchange} | {what} | {len(gateway)} | {b50:.2f} / {b95:.2f} | {g50:.2f} / {g95:.2f} | "
        f"{overhead:+.2f} | {overhead / b50 * 100:+.0f}% |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--bots", type=int, default=20, help="bots in the key-replacement run")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[20, 100])
    parser.add_argument("--power-safe", action="store_true", help="request records fsync each commit")
    parser.add_argument("--exchange", action="append", choices=sorted(ADAPTERS), help="default: all")
    parser.add_argument("--latency-ms", type=int, default=0, help="sandbox latency fault on every request")
    parser.add_argument(
        "--no-heap-settle", action="store_true", help="keep the interpreter's collector defaults (for comparison)"
    )
    args = parser.parse_args()
    print("| exchange | what | n | bare ccxt p50 / p95 ms | gateway p50 / p95 ms | overhead p50 ms | overhead |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with SandboxProcess("--seed", "1") as sandbox, tempfile.TemporaryDirectory() as tmp:
        bench = Bench(sandbox.url, Path(tmp), None if args.no_heap_settle else HeapSettler())
        try:
            for exchange in args.exchange or list(ADAPTERS):
                if args.latency_ms:
                    bench.control.fault(exchange, "latency", ms=args.latency_ms)
                run = _exchange(bench, exchange, args.requests, args.bots, args.concurrency, args.power_safe)
                for row in asyncio.run(run):
                    print(row, flush=True)
        finally:
            bench.store.close()


if __name__ == "__main__":
    main()
