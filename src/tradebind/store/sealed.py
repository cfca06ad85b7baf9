"""Secret values at rest: sealing key material into ``secret_values`` + ``data_keys`` rows, opening
them, and shredding them. Owner-bound helpers for the credential repository (no transactions here:
callers pass their session).

Associated data of each value is (owner, value id, field), so a payload copied to another row,
owner or field does not open. Shredding deletes the wrapped data keys first, then the payloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tradebind.domain.key_material import KeyMaterial
from tradebind.store.owners import new_id
from tradebind.store.tables import DataKeyRow, SecretValueRow, utcnow
from tradebind.vault.api import Aad, SealedValue, SecretValue, Vault, WrappedKey

__all__ = ["SealedField", "load_sealed", "open_sealed", "seal_material", "shred", "store_sealed"]


@dataclass(frozen=True, slots=True)
class SealedField:
    """One sealed value: its row id, its field (``api_key``, ``secret``, ``passphrase``), its envelope."""

    value_id: str
    field: str
    sealed: SealedValue


def seal_material(vault: Vault, owner_id: str, material: KeyMaterial) -> list[SealedField]:
    """Seal the key id, secret and (if any) passphrase, each under a fresh data key.

    Done before the transaction opens, so a slow KEK provider never holds a database lock.
    """
    values: list[tuple[str, SecretValue]] = [("api_key", SecretValue(material.api_key)), ("secret", material.secret)]
    if material.passphrase is not None:
        values.append(("passphrase", material.passphrase))
    sealed = []
    for field, value in values:
        value_id = new_id()
        sealed.append(SealedField(value_id, field, vault.seal(value, Aad(owner_id, value_id, field))))
    return sealed


def store_sealed(session: Session, owner_id: str, version_id: str, sealed: Sequence[SealedField]) -> None:
    """Insert the payload rows, then their wrapped-key rows, for one credential version."""
    now = utcnow()
    session.add_all(
        SecretValueRow(
            id=s.value_id, owner_id=owner_id, version_id=version_id, field=s.field, ciphertext=s.sealed.ciphertext
        )
        for s in sealed
    )
    session.flush()
    session.add_all(
        DataKeyRow(
            secret_value_id=s.value_id,
            owner_id=owner_id,
            provider=s.sealed.wrapped_key.provider,
            kek_version=s.sealed.wrapped_key.kek_version,
            blob=s.sealed.wrapped_key.blob,
            created_at=now,
        )
        for s in sealed
    )
    session.flush()


def load_sealed(session: Session, owner_id: str, version_id: str) -> list[SealedField]:
    """The sealed values of one version of this owner (shredded values are simply absent)."""
    rows = session.execute(
        select(SecretValueRow, DataKeyRow)
        .join(DataKeyRow, DataKeyRow.secret_value_id == SecretValueRow.id)
        .where(SecretValueRow.owner_id == owner_id, SecretValueRow.version_id == version_id)
    )
    return [
        SealedField(v.id, v.field, SealedValue(v.ciphertext, WrappedKey(k.provider, k.kek_version, k.blob)))
        for v, k in rows
    ]


def open_sealed(vault: Vault, owner_id: str, item: SealedField) -> SecretValue:
    """Decrypt one value; its row id is the cache id of its unwrapped data key."""
    return vault.open(item.sealed, Aad(owner_id, item.value_id, item.field), cache_id=item.value_id)


def shred(session: Session, owner_id: str, version_ids: Sequence[str]) -> list[str]:
    """Delete the data keys, then the payloads, of these versions; returns the value ids (for
    ``Vault.forget`` once the transaction has committed)."""
    if not version_ids:
        return []
    value_ids = list(
        session.scalars(
            select(SecretValueRow.id).where(
                SecretValueRow.owner_id == owner_id, SecretValueRow.version_id.in_(version_ids)
            )
        )
    )
    if value_ids:
        session.execute(delete(DataKeyRow).where(DataKeyRow.secret_value_id.in_(value_ids)))
        session.execute(delete(SecretValueRow).where(SecretValueRow.id.in_(value_ids)))
    return value_ids
