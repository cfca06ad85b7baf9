"""KEK rotation (rewrap) throughput of the store, on SQLite and PostgreSQL, local key-file provider.

Run: ``.venv/bin/python -m bench.rotation`` (``--credentials``, ``--batch-size``, ``--backends``).

Seeds N Binance-shaped credentials (two secret values each: API key id and secret, so 2N data
keys) spread over N/100 owners, sealing every value with the real ``EnvelopeVault``; rows are
bulk-inserted to keep seeding short (the public ``CredentialRepository.add`` writes the same rows
one credential per transaction). Then times what ``tradebind vault rotate`` does: add a KEK
version and ``rewrap_pending`` every data key, batch by batch. Checks afterwards that every data
key is on the new version and that sampled credentials still open to their material.
Target: under 60 s for 100,000 credentials.

PostgreSQL: 127.0.0.1:5432 database ``test`` (override with ``TRADEBIND_TEST_PG``), in a schema of
its own that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from sqlalchemy import func, insert, select

from tradebind.store import CredentialRepository, Store, rewrap_pending, rotate
from tradebind.store.tables import (
    CredentialRow,
    CredentialVersionRow,
    DataKeyRow,
    KeyClaimRow,
    OwnerRow,
    SecretValueRow,
    utcnow,
)
from tradebind.vault import Aad, EnvelopeVault, LocalFileKekProvider, SecretValue

TARGET_S = 60.0
PG_DSN = os.environ.get("TRADEBIND_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
CHUNK = 5000


@dataclass(frozen=True)
class Result:
    backend: str
    credentials: int
    data_keys: int
    seed_s: float
    rotate_s: float

    @property
    def per_s(self) -> float:
        return self.data_keys / self.rotate_s


@contextmanager
def _database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'data' / 'bench.sqlite3'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        options = quote(f"-csearch_path={schema}")
        yield PG_DSN.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options={options}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _seed(store: Store, vault: EnvelopeVault, n: int) -> list[tuple[str, str, str]]:
    """N credentials of 2 sealed values each; returns (owner, credential, secret) for a sample."""
    now = utcnow()
    owners = [str(uuid.uuid4()) for _ in range(max(1, n // 100))]
    with store.write() as session:
        session.execute(insert(OwnerRow), [{"id": o, "name": f"bench-{o}", "created_at": now} for o in owners])
    sample: list[tuple[str, str, str]] = []
    for start in range(0, n, CHUNK):
        rows: dict[str, list[dict[str, Any]]] = {"c": [], "v": [], "k": [], "s": [], "d": []}
        for i in range(start, min(n, start + CHUNK)):
            owner, cred, version = owners[i % len(owners)], str(uuid.uuid4()), str(uuid.uuid4())
            key_id, secret = secrets.token_hex(32), secrets.token_hex(32)
            key_hash = vault.lookup_hash(key_id)
            rows["c"].append(
                {"id": cred, "owner_id": owner, "exchange": "binance", "label": f"c{i}", "current_version": 1}
                | {"created_at": now, "permissions": [], "ips": []}
            )
            rows["v"].append(
                {"id": version, "owner_id": owner, "credential_id": cred, "version": 1}
                | {"key_id_masked": f"{key_id[:4]}…{key_id[-4:]}", "key_id_hash": key_hash, "created_at": now}
            )
            rows["k"].append({"exchange": "binance", "key_id_hash": key_hash, "owner_id": owner, "credential_id": cred})
            for field, value in (("api_key", key_id), ("secret", secret)):
                value_id = str(uuid.uuid4())
                sealed = vault.seal(SecretValue(value), Aad(owner, value_id, field))
                rows["s"].append(
                    {"id": value_id, "owner_id": owner, "version_id": version, "field": field}
                    | {"ciphertext": sealed.ciphertext}
                )
                w = sealed.wrapped_key
                rows["d"].append(
                    {"secret_value_id": value_id, "owner_id": owner, "provider": w.provider}
                    | {"kek_version": w.kek_version, "blob": w.blob, "created_at": now}
                )
            if i % (n // 10 or 1) == 0:
                sample.append((owner, cred, secret))
        with store.write() as session:
            for table, key in (
                (CredentialRow, "c"),
                (CredentialVersionRow, "v"),
                (KeyClaimRow, "k"),
                (SecretValueRow, "s"),
                (DataKeyRow, "d"),
            ):
                session.execute(insert(table), rows[key])
    return sample


def run(backend: str, n: int, batch_size: int) -> Result:
    with tempfile.TemporaryDirectory() as tmp_name, _database(backend, Path(tmp_name)) as url:
        tmp = Path(tmp_name)
        store = Store.open(url)
        vault = EnvelopeVault(LocalFileKekProvider(tmp / "bench.kek"))
        t0 = time.perf_counter()
        sample = _seed(store, vault, n)
        seeded = time.perf_counter() - t0

        t0 = time.perf_counter()
        version = rotate(store, vault)
        done = rewrap_pending(store, vault, batch_size=batch_size)
        elapsed = time.perf_counter() - t0

        with store.read() as session:
            left = session.scalar(select(func.count()).select_from(DataKeyRow).where(DataKeyRow.kek_version < version))
        if left or done != 2 * n:
            raise SystemExit(f"{backend}: rewrapped {done} of {2 * n}, {left} left on old versions")
        for owner, cred, secret in sample:
            if CredentialRepository(store, vault, owner).open(cred, purpose="bench").secret.reveal() != secret:
                raise SystemExit(f"{backend}: credential {cred} no longer opens to its secret")
        store.close()
        return Result(backend, n, done, seeded, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--credentials", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    results = [run(b.strip(), args.credentials, args.batch_size) for b in args.backends.split(",")]
    print(f"| backend | credentials | data keys | seed s | rotate s | data keys/s | under {TARGET_S:.0f} s |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        verdict = "yes" if r.rotate_s < TARGET_S * r.credentials / 100_000 else "NO"
        print(
            f"| {r.backend} | {r.credentials:,} | {r.data_keys:,} | {r.seed_s:.1f} | {r.rotate_s:.1f} "
            f"| {r.per_s:,.0f} | {verdict} |"
        )


if __name__ == "__main__":
    main()
