"""Databases and key material for store tests: a SQLite file, or a PostgreSQL schema of the test's own.

PostgreSQL is the real server at 127.0.0.1:5432 (trust auth, database ``test``; override with
``TRADEBIND_TEST_PG``). Each test gets a fresh schema ``tb_<random>`` selected through the URL's
``search_path`` option, so concurrent runs never collide; the schema is dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import string
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from tradebind.domain.key_material import KeyMaterial, validate_key_material

PG_DSN = os.environ.get("TRADEBIND_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")

_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class Database:
    """A database for one test: its SQLAlchemy URL, and the SQLite file or PostgreSQL schema."""

    backend: str
    url: str
    sqlite_path: Path | None = None
    schema: str | None = None


@contextmanager
def database(backend: str, tmp_path: Path, *, extra_options: str = "") -> Iterator[Database]:
    """A fresh, empty database of ``backend``; dropped (PostgreSQL) when the block ends."""
    if backend == "sqlite":
        path = tmp_path / "data" / "tradebind.sqlite3"
        yield Database("sqlite", f"sqlite:///{path}", sqlite_path=path)
        return
    schema = f"tb_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    options = quote(f"-csearch_path={schema}{extra_options}")
    url = PG_DSN.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options={options}"
    try:
        yield Database("postgresql", url, schema=schema)
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def random_alnum(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def binance_material(secret: str | None = None) -> KeyMaterial:
    return validate_key_material("binance", random_alnum(64), secret or random_alnum(64))


def okx_material(secret: str | None = None, passphrase: str | None = None) -> KeyMaterial:
    return validate_key_material(
        "okx", str(uuid.uuid4()), secret or secrets.token_hex(16).upper(), passphrase or random_alnum(12)
    )


def bybit_material(secret: str | None = None) -> KeyMaterial:
    return validate_key_material("bybit", random_alnum(18), secret or random_alnum(36))
