"""Credentials: encrypted at rest, one owner per exchange key, versions, crypto-shredding."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.store.support import Database, binance_material, bybit_material, okx_material
from tradebind.domain.credentials import Exchange, Owner
from tradebind.store import (
    BindingRepository,
    CredentialRepository,
    Invalid,
    KeyAlreadyConnected,
    NotFound,
    Store,
)
from tradebind.store.tables import DataKeyRow, SecretValueRow
from tradebind.vault import Aad, EnvelopeVault, SealedValue, VaultError, WrappedKey


def _sealed_rows(store: Store, owner_id: str) -> list[tuple[SecretValueRow, DataKeyRow]]:
    with store.read() as session:
        rows = session.execute(
            select(SecretValueRow, DataKeyRow)
            .join(DataKeyRow, DataKeyRow.secret_value_id == SecretValueRow.id)
            .where(SecretValueRow.owner_id == owner_id)
        )
        return list(rows)


def test_added_credential_shows_masked_key_and_opens_to_the_same_material(
    store: Store, vault: EnvelopeVault, alice: Owner
) -> None:
    repo = CredentialRepository(store, vault, alice.id)
    material = okx_material()
    cred = repo.add(material, "  main okx  ")

    assert cred.label == "main okx"
    assert cred.exchange is Exchange.OKX
    assert cred.key_id_masked == f"{material.api_key[:4]}…{material.api_key[-4:]}"
    assert cred.version == 1
    assert cred.last_used_at is None
    assert repo.all() == [cred]

    opened = repo.open(cred.id, purpose="check")
    assert opened.api_key.reveal() == material.api_key
    assert opened.secret == material.secret
    assert opened.passphrase == material.passphrase
    assert repo.get(cred.id).last_used_at is not None

    # One payload row and one wrapped-key row per value; no plaintext in either.
    rows = _sealed_rows(store, alice.id)
    assert sorted(v.field for v, _ in rows) == ["api_key", "passphrase", "secret"]
    for value, key in rows:
        assert material.secret.reveal().encode() not in value.ciphertext
        assert material.api_key.encode() not in value.ciphertext
        assert key.kek_version == 1


def test_same_key_for_another_owner_is_refused_and_for_the_same_owner_names_the_credential(
    store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner
) -> None:
    material = binance_material()
    CredentialRepository(store, vault, alice.id).add(material, "alice main")

    with pytest.raises(KeyAlreadyConnected, match="another tradebind account") as other:
        CredentialRepository(store, vault, bob.id).add(material, "bob copy")
    assert other.value.field == "api_key"
    assert "alice main" not in str(other.value)
    assert CredentialRepository(store, vault, bob.id).all() == []

    with pytest.raises(KeyAlreadyConnected, match="already stored as credential 'alice main'"):
        CredentialRepository(store, vault, alice.id).add(material, "again")


def test_replacing_material_makes_a_new_version_that_bindings_resolve_at_once(
    store: Store, vault: EnvelopeVault, alice: Owner
) -> None:
    creds = CredentialRepository(store, vault, alice.id)
    bindings = BindingRepository(store, alice.id)
    first = bybit_material()
    cred = creds.add(first, "bybit")
    spot = bindings.add(cred.id, "spot", "bybit spot")
    futures = bindings.add(cred.id, "futures", "bybit futures")
    creds.record_check(cred.id, verdict="CONNECTED", permissions=["SpotTrade"], ips=["127.0.0.1"])
    before = bindings.resolve(spot.id)

    second = bybit_material()
    replaced = creds.replace_material(cred.id, second)

    assert replaced.version == 2
    assert replaced.rotated_at is not None
    assert replaced.key_id_masked == second.key_id_masked
    assert replaced.permissions == ()
    assert replaced.checked_at is None
    for binding in (spot, futures):
        now = bindings.resolve(binding.id)
        assert (now.version, now.credential_id) == (2, cred.id)
        assert now.version_id != before.version_id
    assert creds.open(cred.id, purpose="order").secret == second.secret
    assert [v.version for v in creds.versions(cred.id)] == [1, 2]
    # The replaced version's values are shredded: only the new version's two values remain.
    assert len(_sealed_rows(store, alice.id)) == 2
    # The old key id is free again, the new one is claimed.
    CredentialRepository(store, vault, alice.id).add(first, "old key back")
    with pytest.raises(KeyAlreadyConnected):
        creds.add(second, "dup")


def test_replacing_with_another_exchange_is_refused_naming_the_field(
    store: Store, vault: EnvelopeVault, alice: Owner
) -> None:
    creds = CredentialRepository(store, vault, alice.id)
    cred = creds.add(binance_material(), "b")
    with pytest.raises(Invalid, match="exchange: this credential is for binance") as err:
        creds.replace_material(cred.id, okx_material())
    assert err.value.field == "exchange"
    assert creds.get(cred.id).version == 1


def test_deleting_a_credential_shreds_its_data_keys(
    db: Database, store: Store, vault: EnvelopeVault, alice: Owner
) -> None:
    creds = CredentialRepository(store, vault, alice.id)
    keep = creds.add(binance_material(), "keep")
    material = okx_material()
    gone = creds.add(material, "gone")
    before = {v.id: (v, k) for v, k in _sealed_rows(store, alice.id)}
    assert creds.open(gone.id, purpose="check").secret == material.secret

    creds.delete(gone.id)

    with pytest.raises(NotFound):
        creds.get(gone.id)
    with pytest.raises(NotFound):
        creds.open(gone.id, purpose="check")
    after = {v.id for v, _ in _sealed_rows(store, alice.id)}
    shredded = [before[i] for i in before if i not in after]
    assert len(shredded) == 3
    assert len(after) == 2
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(DataKeyRow)) == 2
    remaining_keys = [k for i, (_, k) in before.items() if i in after]
    for value, _ in shredded:
        # A copy of the payload (e.g. from an old backup of that table) opens with no wrapped key left.
        aad = Aad(alice.id, value.id, value.field)
        for other in remaining_keys:
            sealed = SealedValue(value.ciphertext, WrappedKey(other.provider, other.kek_version, other.blob))
            with pytest.raises(VaultError):
                vault.open(sealed, aad)
    assert creds.open(keep.id, purpose="check").api_key.reveal()
    if db.sqlite_path is not None:
        # secure_delete overwrites freed pages: the wrapped keys are gone from the file itself.
        store.close()
        raw = b"".join(p.read_bytes() for p in db.sqlite_path.parent.glob(db.sqlite_path.name + "*"))
        assert all(key.blob not in raw for _, key in shredded)
        assert all(key.blob in raw for key in remaining_keys)  # control: live wrapped keys are found


def test_open_logs_the_use_and_a_failed_open_is_logged_too(store: Store, vault: EnvelopeVault, alice: Owner) -> None:
    from tradebind.store import ActivityRepository

    creds = CredentialRepository(store, vault, alice.id, actor="gateway")
    cred = creds.add(okx_material(), "okx")
    creds.open(cred.id, purpose="order")
    with store.write() as session:
        row = session.scalars(select(SecretValueRow).where(SecretValueRow.field == "secret")).one()
        row.ciphertext = row.ciphertext[:-1] + bytes([row.ciphertext[-1] ^ 1])
    vault.forget(row.id)
    with pytest.raises(VaultError):
        creds.open(cred.id, purpose="order")

    uses = [e for e in ActivityRepository(store, alice.id).for_credential(cred.id) if e.action == "secret.use"]
    assert [(e.actor, e.purpose, e.result) for e in uses] == [
        ("gateway", "order", "failed: DecryptionFailed"),
        ("gateway", "order", "ok"),
    ]


def test_blank_label_is_refused_naming_the_field(store: Store, vault: EnvelopeVault, alice: Owner) -> None:
    with pytest.raises(Invalid, match="label: must be 1 to 200 characters") as err:
        CredentialRepository(store, vault, alice.id).add(binance_material(), "   ")
    assert err.value.field == "label"


def test_two_owners_adding_the_same_key_at_once_one_wins(
    store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner
) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    material = okx_material()
    barrier = threading.Barrier(2)

    def add(owner: Owner) -> str:
        barrier.wait(timeout=10)
        try:
            CredentialRepository(store, vault, owner.id).add(material, owner.name)
        except KeyAlreadyConnected:
            return "refused"
        return "added"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(add, [alice, bob]))
    assert outcomes == ["added", "refused"]
    owned = [CredentialRepository(store, vault, o.id).all() for o in (alice, bob)]
    assert sorted(len(c) for c in owned) == [0, 1]


def test_an_unknown_owner_cannot_add_credentials(store: Store, vault: EnvelopeVault) -> None:
    with pytest.raises(NotFound, match="owner not found"):
        CredentialRepository(store, vault, "no-such-owner").add(binance_material(), "x")
