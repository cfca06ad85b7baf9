"""Fixtures of the store suite; every test using ``store`` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.store.support import BACKENDS, Database, database
from tradebind.domain.credentials import Owner
from tradebind.store import OwnerDirectory, Store
from tradebind.vault import EnvelopeVault, LocalFileKekProvider


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database(request.param, tmp_path) as d:
        yield d


@pytest.fixture
def store(db: Database) -> Iterator[Store]:
    s = Store.open(db.url)
    yield s
    s.close()


@pytest.fixture
def kek_file(tmp_path: Path) -> Path:
    return tmp_path / "tradebind.kek"


@pytest.fixture
def vault(kek_file: Path) -> EnvelopeVault:
    return EnvelopeVault(LocalFileKekProvider(kek_file))


@pytest.fixture
def alice(store: Store) -> Owner:
    return OwnerDirectory(store).create("alice")


@pytest.fixture
def bob(store: Store) -> Owner:
    return OwnerDirectory(store).create("bob")
