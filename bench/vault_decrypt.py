"""Decrypt-for-signing latency of EnvelopeVault.open, cache warm and cold, for both KEK providers.

Run: ``.venv/bin/python -m bench.vault_decrypt`` (``--help`` for iteration counts). OpenBao is a
real dev server started from ``.venv/bin/bao`` on 127.0.0.1 for the run.

*warm*: the data key is in the TtlDekCache (``open(..., cache_id=...)``), the gateway's signing
path between credential changes; no provider call. *cold*: no cache id, so every open unwraps the
data key at the provider (local key file: in-process AES-GCM; OpenBao: one transit/decrypt HTTP call).
Target: warm median under 20 µs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.openbao import OpenBaoDevServer

from tradebind.vault import (
    Aad,
    EnvelopeVault,
    KekProvider,
    LocalFileKekProvider,
    OpenBaoKekProvider,
    SecretValue,
    TtlDekCache,
)

WARM_TARGET_US = 20.0
# A Binance HMAC secret is 64 characters; the other exchanges' are shorter.
SECRET = SecretValue("x" * 64)
AAD = Aad("owner-bench", "cred-bench", "api_secret")


@dataclass(frozen=True)
class Result:
    provider: str
    path: str
    runs: int
    median_us: float
    p99_us: float
    mean_us: float


def measure(provider: str, path: str, call: Callable[[], object], runs: int) -> Result:
    for _ in range(min(runs, 200)):  # warm up the interpreter and connection pool
        call()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(runs):
        start = clock()
        call()
        samples.append(clock() - start)
    samples.sort()
    return Result(
        provider,
        path,
        runs,
        statistics.median(samples) / 1000,
        samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000,
        statistics.fmean(samples) / 1000,
    )


def bench_provider(name: str, kek: KekProvider, warm_runs: int, cold_runs: int) -> list[Result]:
    vault = EnvelopeVault(kek, cache=TtlDekCache(ttl_seconds=3600))
    sealed = vault.seal(SECRET, AAD)
    assert vault.open(sealed, AAD, cache_id="wk-bench") == SECRET
    return [
        measure(name, "warm", lambda: vault.open(sealed, AAD, cache_id="wk-bench"), warm_runs),
        measure(name, "cold", lambda: vault.open(sealed, AAD), cold_runs),
    ]


@contextmanager
def local_provider() -> Iterator[KekProvider]:
    with tempfile.TemporaryDirectory(prefix="tradebind-bench-") as tmp:
        yield LocalFileKekProvider(Path(tmp) / "kek.json")


@contextmanager
def openbao_provider() -> Iterator[KekProvider]:
    with OpenBaoDevServer() as bao:
        yield OpenBaoKekProvider(bao.url, SecretValue(bao.token))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm-runs", type=int, default=100_000)
    parser.add_argument("--cold-runs-local", type=int, default=20_000)
    parser.add_argument("--cold-runs-openbao", type=int, default=1_000)
    args = parser.parse_args()

    results: list[Result] = []
    with local_provider() as kek:
        results += bench_provider("local", kek, args.warm_runs, args.cold_runs_local)
    with openbao_provider() as kek:
        results += bench_provider("openbao", kek, args.warm_runs, args.cold_runs_openbao)

    print(f"{'provider':<9} {'path':<5} {'runs':>7} {'median µs':>10} {'p99 µs':>9} {'mean µs':>9}")
    for r in results:
        print(f"{r.provider:<9} {r.path:<5} {r.runs:>7} {r.median_us:>10.1f} {r.p99_us:>9.1f} {r.mean_us:>9.1f}")
    worst_warm = max(r.median_us for r in results if r.path == "warm")
    verdict = "met" if worst_warm < WARM_TARGET_US else "NOT met"
    print(f"target: warm median < {WARM_TARGET_US:.0f} µs: {verdict} (worst warm median {worst_warm:.1f} µs)")


if __name__ == "__main__":
    main()
