from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.gateway.support import Desk, desk
from tests.integration.store.support import BACKENDS, database
from tradebind.sandbox.server import SandboxServer
from tradebind.store import Store

SQLITE_FILE = "gateway.sqlite3"  # the sqlite_store fixture's file, in the test's tmp_path


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store on SQLite, then PostgreSQL."""
    with database(request.param, tmp_path) as db:
        s = Store.open(db.url)
        yield s
        s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store on a SQLite file (``tmp_path / SQLITE_FILE``), for what only SQLite has: the request
    journal, the binding generation's triggers, the commit watch."""
    s = Store.open(f"sqlite:///{tmp_path / SQLITE_FILE}")
    yield s
    s.close()


@pytest.fixture
def shared_desk(sandbox: SandboxServer, tmp_path: Path) -> Iterator[Desk]:
    """A desk on the session's sandbox (tests keep apart by account)."""
    with desk(sandbox.url, tmp_path) as d:
        yield d


@pytest.fixture
def fresh_desk(fresh_sandbox: SandboxServer, tmp_path: Path) -> Iterator[Desk]:
    """A desk on a sandbox of the test's own, for venue-wide faults."""
    with desk(fresh_sandbox.url, tmp_path) as d:
        yield d


@pytest.fixture(params=BACKENDS)
def backend_desk(request: pytest.FixtureRequest, sandbox: SandboxServer, tmp_path: Path) -> Iterator[Desk]:
    """A desk on the session's sandbox whose store is SQLite, then PostgreSQL."""
    with database(request.param, tmp_path) as db, desk(sandbox.url, tmp_path, db.url) as d:
        yield d
