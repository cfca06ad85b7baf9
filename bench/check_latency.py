"""Wall-clock latency of one connection check of a healthy key, per exchange and market.

Run: ``.venv/bin/python -m bench.check_latency [--runs 30] [--exchange binance ...]``

The sandbox runs as its own process (``tradebind sandbox --port 0``). Per exchange and market: one
account with 1000 USDT in the trading account and 50 USDT in Funding, one key with Read + the
market's Trade right bound to 127.0.0.1; then ``--runs`` full checks one after another, each with a
new adapter (a new ccxt client and connection, as the CLI and the web page make one per check).
What is timed is ``open_adapter`` + ``run_check`` + ``close``: clock read, then status, key rights,
trading balance, Funding balance (and Binance's trade probe) concurrently, then prices. The target
is a check under 1 s against the sandbox.

Per exchange also the web's check (``KeyService.check``, as adding a key does) of a key for
Spot, and of a key for Spot and Futures (the two checks run at once on clients of their own; one
account per run with both rights and both trading wallets funded): timed until the reports are
answered; the clients close afterwards, in the background, on the web's exchange loop.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tests.support.control import Control

from tradebind.check.run import run_check
from tradebind.domain.market import Market
from tradebind.domain.verdicts import Verdict
from tradebind.exchanges.base import ApiCredentials, Endpoint
from tradebind.exchanges.registry import ADAPTERS, open_adapter
from tradebind.sandbox.server import SandboxProcess
from tradebind.store import OwnerDirectory, Store
from tradebind.vault import EnvelopeVault, LocalFileKekProvider
from tradebind.vault.api import SecretValue
from tradebind.web.context import WebContext
from tradebind.web.keys import KeyService

PASSPHRASE = "Bench-Pass-1"
TRADING_WALLET: dict[str, dict[Market, str]] = {
    "binance": {Market.SPOT: "spot", Market.FUTURES: "futures"},
    "okx": {Market.SPOT: "trading", Market.FUTURES: "trading"},
    "bybit": {Market.SPOT: "unified", Market.FUTURES: "unified"},
}
TRADE_RIGHTS = {
    "binance": {Market.SPOT: ["read", "spot"], Market.FUTURES: ["read", "futures"]},
    "okx": {Market.SPOT: ["read", "trade"], Market.FUTURES: ["read", "trade"]},
    "bybit": {Market.SPOT: ["read", "spot"], Market.FUTURES: ["read", "futures"]},
}


def _setup(control: Control, exchange: str, markets: list[Market], run: int) -> ApiCredentials:
    # One account per run: OKX allows account/config 5 times per 2 s per user, and every check
    # reads it; a check is one user's, so runs are different users.
    account = f"bench-{exchange}-{'-'.join(m.value for m in markets)}-{run}"
    extra = {"passphrase": PASSPHRASE} if exchange == "okx" else {}
    rights = sorted({right for m in markets for right in TRADE_RIGHTS[exchange][m]})
    created = control.create_key(exchange, account, rights, ips=["127.0.0.1"], **extra)
    for wallet in {TRADING_WALLET[exchange][m] for m in markets}:
        control.deposit(exchange, account, wallet, "USDT", "1000")
    control.deposit(exchange, account, "funding", "USDT", "50")
    phrase = SecretValue(PASSPHRASE) if extra else None
    return ApiCredentials(SecretValue(created["api_key"]), SecretValue(created["secret"]), phrase)


async def _measure(
    url: str, exchange: str, market: Market, keys: list[ApiCredentials]
) -> tuple[list[float], list[float]]:
    """Per run: ms until the report is ready, and ms including the client's close."""
    to_report, total = [], []
    for creds in keys:
        started = time.perf_counter()
        async with open_adapter(exchange, creds, Endpoint(sandbox_url=url)) as adapter:
            report = await run_check(adapter, market)
            to_report.append((time.perf_counter() - started) * 1000)
        total.append((time.perf_counter() - started) * 1000)
        if report.decision.verdict is not Verdict.CONNECTED:
            raise SystemExit(
                f"{exchange} {market}: expected CONNECTED, got {report.decision.verdict}: {report.decision.fix}"
            )
    return to_report, total


def _web(keys_of: KeyService, exchange: str, markets: list[Market], keys: list[ApiCredentials]) -> list[float]:
    """Per run: ms until the web's check of one key for ``markets`` answers (``KeyService.check``,
    as adding a key does); the clients close after the answer, in the background."""
    answered = []
    for creds in keys:
        started = time.perf_counter()
        reports = keys_of.check(exchange, creds, markets)
        answered.append((time.perf_counter() - started) * 1000)
        verdicts = [r["verdict"] for r in reports]
        if verdicts != [Verdict.CONNECTED.value] * len(markets):
            raise SystemExit(f"{exchange} {markets}: expected CONNECTED for each, got {verdicts}")
    return answered


def _row(exchange: str, market: str, what: str, timings: list[float]) -> str:
    p95 = statistics.quantiles(timings, n=20, method="inclusive")[18] if len(timings) > 1 else timings[0]
    median = statistics.median(timings)
    return f"| {exchange} | {market} | {what} | {len(timings)} | {median:.1f} | {p95:.1f} | {max(timings):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--exchange", action="append", choices=sorted(ADAPTERS), help="default: all")
    args = parser.parse_args()
    exchanges = args.exchange or list(ADAPTERS)
    print("| exchange | market | until | runs | median ms | p95 ms | max ms |")
    print("|---|---|---|---:|---:|---:|---:|")
    with SandboxProcess("--seed", "1") as sandbox, tempfile.TemporaryDirectory() as tmp:
        control = Control(sandbox.url)
        store = Store.open(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        vault = EnvelopeVault(LocalFileKekProvider(Path(tmp) / "bench.kek"))
        ctx = WebContext(store, vault, endpoint=Endpoint(sandbox_url=sandbox.url))
        keys_of = KeyService(ctx, OwnerDirectory(store).create("bench").id)
        try:
            for exchange in exchanges:
                for market in Market:
                    keys = [_setup(control, exchange, [market], run) for run in range(args.runs)]
                    to_report, total = asyncio.run(_measure(sandbox.url, exchange, market, keys))
                    print(_row(exchange, market.value, "report", to_report))
                    print(_row(exchange, market.value, "closed", total))
                for markets in ([Market.SPOT], list(Market)):
                    # Accounts of their own (numbered after the runs above): a fresh user per run.
                    keys = [_setup(control, exchange, markets, args.runs + run) for run in range(args.runs)]
                    what = " + ".join(m.value for m in markets)
                    print(_row(exchange, what, "web check, answered", _web(keys_of, exchange, markets, keys)))
        finally:
            ctx.exchanges.stop()
            store.close()


if __name__ == "__main__":
    main()
