"""API latency of the key list (``GET /api/v1/keys``) with 1,000 bindings per user, under load.

Run: ``.venv/bin/python -m bench.api_latency [--users 4] [--bindings 1000] [--clients 8] [--requests 2000]``

Seeding (not timed) goes through the real store and vault into a fresh SQLite data directory:
per user 500 Binance credentials (sealed key material) with a spot and a futures binding each,
every binding with a stored last-check report, and 50 bots. Then ``tradebind serve`` runs as its
own process (one uvicorn worker) on that directory, and ``--clients`` concurrent keep-alive
clients (threads, one ``requests.Session`` each, users round-robin) send ``--requests`` key-list
requests in total after a warm-up. What is timed is each request's wall clock at the client:
connection reuse, the server's token look-up, the one-query key list, JSON encoding and transfer of
~1,000 rows (~350 kB). No exchange is called: the list shows stored figures. Target: p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import requests

from tradebind.cli_admin import build_vault
from tradebind.domain.key_material import validate_key_material
from tradebind.settings import Settings
from tradebind.store import BindingRepository, BotRepository, CredentialRepository, Store
from tradebind.store.binding_checks import BindingCheckRepository
from tradebind.store.web_accounts import WebAccounts, WebSessions
from tradebind.web import security

_ALNUM = string.ascii_letters + string.digits


def _report(market: str, available: str) -> dict[str, object]:
    """A stored report shaped like a real one (what the detail page shows; the list skips it)."""
    return {
        "verdict": "CONNECTED",
        "fix": "Nothing to fix: the key is ready for trading.",
        "warnings": [],
        "problems": [],
        "exchange": "binance",
        "market": market,
        "permissions": {"read": True, "spot_trade": True, "futures_trade": True, "withdraw": False, "transfer": False},
        "ip_restriction": {"restricted": True, "ips": None},
        "balance": {
            "account": "Spot",
            "quote": "USDT",
            "total": {"available": available, "wallet_balance": available},
            "assets": [{"asset": "USDT", "available": available, "wallet_balance": available}],
            "explanation": f"{available} USDT of the {available} USDT in the Spot account is available.",
        },
        "evidence": [{"call": "GET /api/v3/account", "ok": True, "result": "{}", "elapsed_ms": 12}] * 6,
    }


def seed(settings: Settings, users: int, bindings: int) -> list[str]:
    """Create ``users`` users with ``bindings`` bindings each; returns one API token per user."""
    store = Store.open(settings.database_url)
    vault = build_vault(settings)
    tokens = []
    try:
        for u in range(users):
            user = WebAccounts(store, vault).signup(f"bench{u}@example.com", security.hash_password("bench-password-1"))
            creds = CredentialRepository(store, vault, user.owner_id)
            binds = BindingRepository(store, user.owner_id)
            checks = BindingCheckRepository(store, user.owner_id)
            bots = BotRepository(store, user.owner_id)
            for i in range(bindings // 2):
                key = "".join(secrets.choice(_ALNUM) for _ in range(64))
                secret = "".join(secrets.choice(_ALNUM) for _ in range(64))
                credential = creds.add(validate_key_material("binance", key, secret), f"key {i}")
                for market in ("spot", "futures"):
                    binding = binds.add(credential.id, market, f"key {i} {market}")
                    checks.record(binding.id, _report(market, f"{1000 + i}.5"))
                    if i < 25:
                        bots.add(f"bot {i} {market}", binding.id, "BTC/USDT", "dca", {})
            token = security.new_token()
            WebSessions(store).create(
                user.owner_id,
                security.digest(token),
                kind="api",
                csrf_token=security.new_token(),
                ttl=timedelta(hours=2),
                second_factor=False,
            )
            tokens.append(token)
    finally:
        store.close()
    return tokens


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    tradebind = str(Path(sys.executable).with_name("tradebind"))
    proc = subprocess.Popen(
        [tradebind, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5)
            return proc
        except requests.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("tradebind serve did not start") from None
            time.sleep(0.05)  # waiting for the port to accept (a condition with a deadline)


def load(url: str, tokens: list[str], clients: int, total: int) -> list[float]:
    """Run ``total`` key-list requests from ``clients`` threads; returns per-request ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = total // clients
    start = threading.Barrier(clients)

    def client(n: int) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {tokens[n % len(tokens)]}"
        for _ in range(5):  # warm-up, not counted
            http.get(url, timeout=30).raise_for_status()
        start.wait()
        mine = []
        for _ in range(per_client):
            t0 = time.perf_counter()
            r = http.get(url, timeout=30)
            elapsed = (time.perf_counter() - t0) * 1000
            r.raise_for_status()
            mine.append(elapsed)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--bindings", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TRADEBIND_DATA_DIR": str(Path(tmp) / "data")}
        env.pop("TRADEBIND_DATABASE_URL", None)
        env.pop("TRADEBIND_KEK_PROVIDER", None)
        env.pop("TRADEBIND_KEK_FILE", None)
        settings = Settings.from_env(env)
        t0 = time.monotonic()
        tokens = seed(settings, args.users, args.bindings)
        print(f"seeded {args.users} users x {args.bindings} bindings in {time.monotonic() - t0:.1f} s")
        port = _free_port()
        proc = _serve(env, port)
        try:
            url = f"http://127.0.0.1:{port}/api/v1/keys"
            sample = requests.get(url, headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=30)
            rows = len(sample.json())
            assert rows == args.bindings, rows
            t0 = time.monotonic()
            ms = sorted(load(url, tokens, args.clients, args.requests))
            wall = time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"GET /api/v1/keys: {len(ms)} requests, {rows} rows ({len(sample.content) / 1024:.0f} kB) each, "
        f"{args.clients} clients: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms, "
        f"{len(ms) / wall:.0f} req/s"
    )
    print(f"target p99 < 50 ms: {'met' if p99 < 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
