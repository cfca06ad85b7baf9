"""The store with the OpenBao transit provider (a real dev server): rotate, rewrap, retire via the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.integration.store.support import Database, binance_material, okx_material
from tests.support.openbao import OpenBaoDevServer
from tradebind.cli import app
from tradebind.store import CredentialRepository, OwnerDirectory, Store
from tradebind.store.tables import DataKeyRow
from tradebind.vault import EnvelopeVault, OpenBaoKekProvider, SecretValue


@pytest.fixture
def bao() -> Iterator[OpenBaoDevServer]:
    with OpenBaoDevServer() as server:
        yield server


def test_rotation_through_openbao_transit_keeps_every_credential_open(
    db: Database, store: Store, bao: OpenBaoDevServer, tmp_path: Path
) -> None:
    vault = EnvelopeVault(OpenBaoKekProvider(bao.url, SecretValue(bao.token), key_name="tb-kek"))
    owner = OwnerDirectory(store).create("alice")
    creds = CredentialRepository(store, vault, owner.id)
    materials = [okx_material(), binance_material(), binance_material()]
    ids = [creds.add(m, f"c{i}").id for i, m in enumerate(materials)]
    env = {
        "TRADEBIND_DATA_DIR": str(tmp_path / "data"),
        "TRADEBIND_DATABASE_URL": db.url,
        "TRADEBIND_KEK_PROVIDER": "openbao",
        "TRADEBIND_OPENBAO_ADDR": bao.url,
        "TRADEBIND_OPENBAO_TOKEN": bao.token,
        "TRADEBIND_OPENBAO_KEY": "tb-kek",
    }
    runner = CliRunner()

    rotated = runner.invoke(app, ["vault", "rotate", "--batch-size", "3"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "rewrapped 7 data keys to KEK version 2" in rotated.output
    assert bao.token not in rotated.output
    with store.read() as session:
        assert {(r.provider, r.kek_version) for r in session.scalars(select(DataKeyRow))} == {("openbao", 2)}

    retired = runner.invoke(app, ["vault", "retire", "1"], env=env)
    assert retired.exit_code == 0, retired.output
    for cred_id, material in zip(ids, materials, strict=True):
        assert creds.open(cred_id, purpose="check").secret == material.secret
