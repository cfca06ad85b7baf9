"""KEK rotation: rewrap data keys in resumable batches, payloads untouched, reads never stop; retire."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.store.support import binance_material, okx_material
from tradebind.domain.credentials import Owner
from tradebind.store import Conflict, CredentialRepository, Store, kek_status, retire, rewrap_pending, rotate
from tradebind.store.tables import DataKeyRow, SecretValueRow
from tradebind.vault import Aad, EnvelopeVault, KekVersionRetired, SealedValue, WrappedKey


def _payloads(store: Store) -> dict[str, bytes]:
    with store.read() as session:
        return {r.id: r.ciphertext for r in session.scalars(select(SecretValueRow))}


def _versions(store: Store) -> dict[str, int]:
    with store.read() as session:
        return {r.secret_value_id: r.kek_version for r in session.scalars(select(DataKeyRow))}


def test_rotate_rewraps_every_data_key_without_touching_payloads(
    store: Store, vault: EnvelopeVault, alice: Owner
) -> None:
    creds = CredentialRepository(store, vault, alice.id)
    materials = [okx_material() for _ in range(3)] + [binance_material() for _ in range(4)]
    ids = [creds.add(m, f"c{i}").id for i, m in enumerate(materials)]
    payloads = _payloads(store)

    assert rotate(store, vault) == 2
    status = kek_status(store, vault)
    assert status.pending == 3 * 3 + 4 * 2
    # Reads keep working before the rewrap: version 1 still unwraps.
    assert creds.open(ids[0], purpose="check").secret == materials[0].secret

    assert rewrap_pending(store, vault, batch_size=4) == 17
    assert set(_versions(store).values()) == {2}
    assert _payloads(store) == payloads
    assert kek_status(store, vault).pending == 0
    for cred_id, material in zip(ids, materials, strict=True):
        assert creds.open(cred_id, purpose="check").secret == material.secret


def test_retire_is_refused_while_a_data_key_uses_the_version(store: Store, vault: EnvelopeVault, alice: Owner) -> None:
    creds = CredentialRepository(store, vault, alice.id)
    material = okx_material()
    cred = creds.add(material, "okx")
    with store.read() as session:
        value, key = session.execute(
            select(SecretValueRow, DataKeyRow)
            .join(DataKeyRow, DataKeyRow.secret_value_id == SecretValueRow.id)
            .where(SecretValueRow.field == "secret")
        ).one()
    old_copy = SealedValue(value.ciphertext, WrappedKey(key.provider, key.kek_version, key.blob))

    with pytest.raises(Conflict, match="version: 1 is the current KEK version"):
        retire(store, vault, 1)
    rotate(store, vault)
    with pytest.raises(Conflict, match="version: 3 data keys still use KEK version 1") as err:
        retire(store, vault, 1)
    assert err.value.field == "version"

    rewrap_pending(store, vault)
    retire(store, vault, 1)
    assert creds.open(cred.id, purpose="check").secret == material.secret
    # A wrapped key from before the rotation (a stale copy, a backup) no longer opens.
    vault.forget(value.id)
    with pytest.raises(KekVersionRetired):
        vault.open(old_copy, Aad(alice.id, value.id, "secret"))


def test_an_interrupted_rewrap_resumes_and_reads_and_writes_go_on_meanwhile(
    store: Store, vault: EnvelopeVault, alice: Owner
) -> None:
    creds = CredentialRepository(store, vault, alice.id)
    materials = [binance_material() for _ in range(10)]
    ids = [creds.add(m, f"c{i}").id for i, m in enumerate(materials)]
    rotate(store, vault)

    class Interrupted(Exception):
        pass

    def crash_after_first_batch(n: int) -> None:
        # Mid-rotation: every credential opens, a replacement goes through, then the job dies.
        for cred_id, material in zip(ids, materials, strict=True):
            assert creds.open(cred_id, purpose="order").secret == material.secret
        materials[-1] = binance_material()
        creds.replace_material(ids[-1], materials[-1])
        raise Interrupted

    with pytest.raises(Interrupted):
        rewrap_pending(store, vault, batch_size=6, on_batch=crash_after_first_batch)
    versions = _versions(store)
    assert len(versions) == 20
    pending = sum(1 for v in versions.values() if v == 1)
    # One batch of 6 was rewrapped; the replacement's new keys were sealed under v2 directly (and
    # its old keys, rewrapped or not, are gone).
    assert 20 - 6 - 2 <= pending <= 20 - 6
    assert kek_status(store, vault).pending == pending

    assert rewrap_pending(store, vault, batch_size=6) == pending
    assert set(_versions(store).values()) == {2}
    for cred_id, material in zip(ids, materials, strict=True):
        assert creds.open(cred_id, purpose="check").secret == material.secret
