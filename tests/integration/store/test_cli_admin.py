"""``tradebind vault status|rotate|retire`` and ``tradebind audit verify`` on a real store and key file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from tests.integration.store.support import Database, okx_material
from tradebind.cli import app
from tradebind.domain.credentials import Owner
from tradebind.store import CredentialRepository, Store, rotate
from tradebind.store.tables import ActivityRow
from tradebind.vault import EnvelopeVault


@pytest.fixture
def env(db: Database, kek_file: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "TRADEBIND_DATA_DIR": str(tmp_path / "data"),
        "TRADEBIND_DATABASE_URL": db.url,
        "TRADEBIND_KEK_FILE": str(kek_file),
        "TRADEBIND_KEK_PROVIDER": "local_file",
    }


def test_rotate_then_retire_from_the_command_line(
    store: Store, vault: EnvelopeVault, alice: Owner, env: dict[str, str]
) -> None:
    creds = CredentialRepository(store, vault, alice.id)
    material = okx_material()
    cred = creds.add(material, "okx")
    runner = CliRunner()

    refused = runner.invoke(app, ["vault", "retire", "1"], env=env)
    assert refused.exit_code == 1
    assert "version: 1 is the current KEK version" in refused.output

    rotated = runner.invoke(app, ["vault", "rotate", "--batch-size", "2"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "added KEK version 2" in rotated.output
    assert "rewrapped 3 data keys to KEK version 2" in rotated.output

    rotate(store, vault)  # version 3 added, data keys left on 2: an interrupted rotation
    pending = runner.invoke(app, ["vault", "retire", "2"], env=env)
    assert pending.exit_code == 1
    assert "3 data keys still use KEK version 2" in pending.output
    status = runner.invoke(app, ["vault", "status"], env=env)
    assert "current KEK version 3" in status.output
    assert "pending rewrap: 3" in status.output

    resumed = runner.invoke(app, ["vault", "rotate", "--resume"], env=env)
    assert resumed.exit_code == 0, resumed.output
    assert "added KEK version" not in resumed.output
    assert "rewrapped 3 data keys to KEK version 3" in resumed.output
    retired = runner.invoke(app, ["vault", "retire", "2"], env=env)
    assert retired.exit_code == 0, retired.output
    assert creds.open(cred.id, purpose="check").secret == material.secret


def test_audit_verify_exits_non_zero_naming_the_first_bad_entry(
    store: Store, vault: EnvelopeVault, alice: Owner, env: dict[str, str]
) -> None:
    creds = CredentialRepository(store, vault, alice.id)
    cred = creds.add(okx_material(), "okx")
    creds.open(cred.id, purpose="check")
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "activity log intact: 3 entries verified" in ok.output

    with store.write() as session:
        entry = session.scalars(select(ActivityRow).where(ActivityRow.action == "credential.add")).one()
        session.execute(update(ActivityRow).where(ActivityRow.id == entry.id).values(actor="someone else"))
    bad = runner.invoke(app, ["audit", "verify"], env=env)
    assert bad.exit_code == 1
    assert f"chain {alice.id}: entry {entry.id} (seq 2)" in bad.output


def test_a_bad_setting_is_one_line_naming_the_variable(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["audit", "verify"], env={**env, "TRADEBIND_KEK_PROVIDER": "kms"})
    assert result.exit_code == 1
    assert result.output.strip() == "error: TRADEBIND_KEK_PROVIDER: must be one of local_file, openbao"
