"""Migrations ship in the package, apply on open, are idempotent, and leave a private SQLite file."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from tests.integration.store.support import Database
from tradebind.store import OwnerDirectory, Store
from tradebind.store.engine import migration_config

TABLES = {
    "owners",
    "credentials",
    "credential_versions",
    "key_claims",
    "secret_values",
    "data_keys",
    "bindings",
    "bots",
    "activity",
    "activity_heads",
    "binding_generation",
    "request_journals",
    "alembic_version",
}


def test_open_applies_every_migration_and_reopening_keeps_the_data(db: Database) -> None:
    head = ScriptDirectory.from_config(migration_config()).get_current_head()
    first = Store.open(db.url)
    try:
        owner = OwnerDirectory(first).create("carol")
        with first.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head
            assert set(inspect(conn).get_table_names()) >= TABLES
    finally:
        first.close()
    again = Store.open(db.url)
    try:
        assert OwnerDirectory(again).get(owner.id).name == "carol"
    finally:
        again.close()


def test_migrations_live_inside_the_package() -> None:
    location = Path(migration_config().get_main_option("script_location") or "")
    import tradebind

    assert location.is_relative_to(Path(tradebind.__file__).parent)
    assert list((location / "versions").glob("0001_*.py"))


def test_sqlite_file_is_created_private_in_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "data" / "tradebind.sqlite3"
    store = Store.open(f"sqlite:///{path}")
    store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


_BARRIER: Any = None


def _join(barrier: Any) -> None:
    global _BARRIER
    _BARRIER = barrier


def _open_together(url: str) -> str:
    """Open ``url`` the moment every process of the pool is ready; the error text, or "ok"."""
    _BARRIER.wait()
    try:
        Store.open(url).close()
    except Exception as exc:  # the test reports what any process met
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def test_processes_opening_a_new_sqlite_file_together_all_succeed(tmp_path: Path) -> None:
    # The demo starts the web cabinet and the worker at once on a new data directory; the first
    # connection of each turns the new file to WAL, which SQLite refuses at once to a second one.
    spawn = multiprocessing.get_context("spawn")
    processes, rounds = 4, 40
    barrier = spawn.Barrier(processes)
    with spawn.Pool(processes, initializer=_join, initargs=(barrier,)) as pool:
        for n in range(rounds):
            url = f"sqlite:///{tmp_path / str(n) / 'tradebind.sqlite3'}"
            assert pool.map(_open_together, [url] * processes, chunksize=1) == ["ok"] * processes
