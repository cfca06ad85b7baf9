"""Signed requests per second the sandbox serves to concurrent, unmodified async ccxt clients.

Run: ``.venv/bin/python -m bench.sandbox_throughput [--clients 8] [--seconds 10] [--exchange binance ...]``

The sandbox runs as its own process (``tradebind sandbox --port 0``), so the clients' CPU use is
not charged to it. Per exchange, each client gets its own account, API key and source address
(127.0.0.x: the exchanges' per-IP and per-account limits apply to every client separately, as they
would to separate bots), then loops over a bot's private calls: fetch_balance, fetch_open_orders,
and a resting limit order placed and canceled. ccxt's own client-side throttle is off so the
sandbox, not the client, sets the pace; the sandbox's rate limits still apply and show up as
errors. Results: requests/s, latency p50/p99, errors by ccxt error class.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import ccxt.async_support as ccxt_async

from tradebind.exchanges.registry import ADAPTERS
from tradebind.sandbox.client import SandboxControl
from tradebind.sandbox.core import Market, Permission
from tradebind.sandbox.protocols import PROTOCOLS
from tradebind.sandbox.server import SandboxProcess

SYMBOL = "BTC/USDT"
PASSPHRASE = "Bench-Pass-1"
_TRADING = {Permission.READ, Permission.SPOT_TRADE}


@dataclass
class Tally:
    """What one exchange's run measured."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    sandbox_cpu_s: float | None = None
    client_cpu_s: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())

    def percentile(self, q: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far; None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _credentials(control: SandboxControl, exchange: str, account: str) -> dict[str, str]:
    protocol = PROTOCOLS[exchange]
    names = [n for n, g in protocol.permission_names.items() if g & _TRADING and Permission.WITHDRAW not in g]
    extra = {"passphrase": PASSPHRASE} if protocol.requires_passphrase else {}
    created = control.create_key(exchange, account, names, label="bench", **extra)
    creds = {"apiKey": created["api_key"], "secret": created["secret"]}
    if protocol.requires_passphrase:
        creds["password"] = PASSPHRASE
    return creds


def _bot(exchange: str, base_url: str, credentials: dict[str, str], source_ip: str) -> Any:
    """An unmodified async ccxt client on the sandbox (only ``urls['api']`` changed), bound to ``source_ip``.

    Call inside the running loop (aiohttp sessions belong to one loop). The URL layout is the
    exchange adapter's (:meth:`ExchangeAdapter.sandbox_api_urls`).
    """
    urls = ADAPTERS[exchange].sandbox_api_urls(f"{base_url}/{exchange}")
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source_ip, 0)))
    # ccxt's client-side throttle would pace the run, not the sandbox.
    config = {"urls": {"api": urls}, "session": session, "enableRateLimit": False, **credentials}
    return getattr(ccxt_async, exchange)(config)


async def _timed(tally: Tally, call: Callable[[], Awaitable[Any]]) -> Any:
    start = time.perf_counter()
    try:
        result = await call()
    except ccxt_async.BaseError as exc:
        tally.errors[type(exc).__name__] += 1
        return None
    tally.latencies_ms.append((time.perf_counter() - start) * 1000)
    return result


async def _client_loop(client: Any, tally: Tally, price: float, stop_at: float) -> None:
    """A bot's private calls in a loop until ``stop_at`` (loop time)."""
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        await _timed(tally, client.fetch_balance)
        await _timed(tally, partial(client.fetch_open_orders, SYMBOL))
        order = await _timed(tally, partial(client.create_order, SYMBOL, "limit", "buy", 0.001, price))
        if order is not None:
            await _timed(tally, partial(client.cancel_order, order["id"], SYMBOL))


async def run_exchange(base_url: str, exchange: str, clients: int, seconds: float, sandbox_pid: int) -> Tally:
    control = SandboxControl(base_url)
    venue_layout = PROTOCOLS[exchange].venue_spec().layout
    wallet = venue_layout.wallet_for(Market.SPOT)
    prices = control.prices(exchange)
    # Far below the market so the order rests until canceled, on the instrument's tick grid.
    price = float(int(float(prices[SYMBOL]) * 0.6))
    bots = []
    for i in range(clients):
        account = f"bench-{exchange}-{i}"
        control.deposit(exchange, account, wallet, "USDT", "10000000")
        creds = _credentials(control, exchange, account)
        source_ip = f"127.0.0.{10 + i % 240}"
        bots.append(_bot(exchange, base_url, creds, source_ip))
    tally = Tally()
    try:
        # Markets load once per client before the clock starts: ccxt caches them.
        await asyncio.gather(*(bot.load_markets() for bot in bots))
        loop = asyncio.get_running_loop()
        sandbox_cpu, client_cpu = process_cpu_s(sandbox_pid), time.process_time()
        started = loop.time()
        await asyncio.gather(*(_client_loop(bot, tally, price, started + seconds) for bot in bots))
        tally.elapsed_s = loop.time() - started
        tally.client_cpu_s = time.process_time() - client_cpu
        sandbox_after = process_cpu_s(sandbox_pid)
        if sandbox_cpu is not None and sandbox_after is not None:
            tally.sandbox_cpu_s = sandbox_after - sandbox_cpu
    finally:
        for bot in bots:
            # ccxt forgets a session it was given when it closes; close that session ourselves.
            session = bot.session
            await bot.close()
            if session is not None and not session.closed:
                await session.close()
        control.close()
    return tally


def _report(exchange: str, clients: int, tally: Tally) -> str:
    ok = len(tally.latencies_ms)
    rate = tally.requests / tally.elapsed_s if tally.elapsed_s else 0.0
    ok_rate = ok / tally.elapsed_s if tally.elapsed_s else 0.0
    errors = ", ".join(f"{k}={v}" for k, v in tally.errors.most_common()) or "none"
    per_request = (
        f"{tally.sandbox_cpu_s * 1e6 / tally.requests:,.0f}"
        if tally.sandbox_cpu_s is not None and tally.requests
        else "?"
    )
    return (
        f"| {exchange} | {clients} | {tally.requests} | {rate:,.0f} | {ok_rate:,.0f} | "
        f"{tally.percentile(50):.1f} | {tally.percentile(99):.1f} | {per_request} | "
        f"{tally.client_cpu_s / tally.elapsed_s:.0%} | {errors} |"
    )


async def _main(args: argparse.Namespace) -> None:
    command = None
    if args.profile:
        # cProfile writes its file when the sandbox exits on our SIGTERM.
        command = [sys.executable, "-m", "cProfile", "-o", args.profile, "-m", "tradebind.cli"]
    with SandboxProcess("--seed", "1", command=command) as sandbox:
        print(f"sandbox process at {sandbox.url}; {args.clients} clients, {args.seconds:g} s per exchange")
        assert sandbox.proc is not None
        print(
            "| exchange | clients | signed requests | req/s | ok req/s | p50 ms | p99 ms "
            "| sandbox CPU µs/req | client CPU | errors |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for exchange in args.exchange or sorted(PROTOCOLS):
            tally = await run_exchange(sandbox.url, exchange, args.clients, args.seconds, sandbox.proc.pid)
            print(_report(exchange, args.clients, tally), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=8, help="concurrent ccxt clients per exchange (default 8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured run time per exchange (default 10)")
    parser.add_argument("--exchange", action="append", choices=sorted(PROTOCOLS), help="only these (repeatable)")
    parser.add_argument("--profile", metavar="FILE", help="run the sandbox under cProfile, writing FILE")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
