"""Credentials: encrypted key material per owner, versioned, with crypto-shredding on delete.

Each version stores three secret values (``api_key``, ``secret``, and ``passphrase`` where the
exchange has one). A value is a ``secret_values`` row (AES-GCM payload, associated data =
owner + value id + field) plus a ``data_keys`` row (its wrapped data key). Replacing the material
adds a version and shreds the old one's values; deleting the credential shreds them all. Deleting
a ``data_keys`` row is what makes a value unrecoverable: the payload alone cannot be opened.

The API key id is also kept as a keyed look-up hash (``vault.lookup_hash``) in ``key_claims``,
whose primary key makes "one exchange key, one owner" hold even for concurrent adds.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradebind.domain.credentials import BotState, Credential, CredentialVersion, Exchange, OpenedCredential
from tradebind.domain.key_material import KeyMaterial
from tradebind.store.engine import Store
from tradebind.store.errors import InUse, Invalid, KeyAlreadyConnected, NotFound
from tradebind.store.owners import new_id
from tradebind.store.scope import OwnerScoped, check_label
from tradebind.store.sealed import SealedField, load_sealed, open_sealed, seal_material, shred, store_sealed
from tradebind.store.tables import (
    CURRENT_VERSION,
    BindingRow,
    BotRow,
    CredentialRow,
    CredentialVersionRow,
    KeyClaimRow,
    OwnerRow,
    utcnow,
)
from tradebind.vault.api import Vault, VaultError

__all__ = ["CredentialRepository"]


def credential_view(row: CredentialRow, masked: str) -> Credential:
    return Credential(
        id=row.id,
        owner_id=row.owner_id,
        exchange=Exchange(row.exchange),
        label=row.label,
        key_id_masked=masked,
        version=row.current_version,
        created_at=row.created_at,
        rotated_at=row.rotated_at,
        last_used_at=row.last_used_at,
        checked_at=row.checked_at,
        permissions=tuple(row.permissions or ()),
        ips=tuple(row.ips or ()),
    )


def active_bots(session: Session, owner_id: str, binding_ids: Sequence[str]) -> list[str]:
    """Names of this owner's bots on ``binding_ids`` that are not stopped."""
    if not binding_ids:
        return []
    query = select(BotRow.name).where(
        BotRow.owner_id == owner_id, BotRow.binding_id.in_(binding_ids), BotRow.state != BotState.STOPPED.value
    )
    return sorted(session.scalars(query))


class CredentialRepository(OwnerScoped):
    """One owner's credentials. Every method sees this owner's rows only; another owner's id
    raises :class:`NotFound` exactly as a missing one does."""

    def __init__(self, store: Store, vault: Vault, owner_id: str, *, actor: str | None = None) -> None:
        super().__init__(store, owner_id, actor=actor)
        self._vault = vault

    # -- reading ---------------------------------------------------------------------------

    def get(self, credential_id: str) -> Credential:
        with self._store.read() as session:
            row = self._row(session, credential_id)
            return credential_view(row, self._current_version(session, row).key_id_masked)

    def all(self) -> list[Credential]:
        """This owner's credentials, oldest first."""
        with self._store.read() as session:
            query = (
                select(CredentialRow, CredentialVersionRow.key_id_masked)
                .join(CredentialVersionRow, CURRENT_VERSION)
                .where(CredentialRow.owner_id == self._owner)
                .order_by(CredentialRow.created_at, CredentialRow.id)
            )
            return [credential_view(row, masked) for row, masked in session.execute(query)]

    def versions(self, credential_id: str) -> list[CredentialVersion]:
        """Every version of the credential, oldest first (replaced ones hold no material)."""
        with self._store.read() as session:
            self._row(session, credential_id)
            rows = session.scalars(
                select(CredentialVersionRow)
                .where(
                    CredentialVersionRow.owner_id == self._owner, CredentialVersionRow.credential_id == credential_id
                )
                .order_by(CredentialVersionRow.version)
            )
            return [CredentialVersion(r.id, r.credential_id, r.version, r.key_id_masked, r.created_at) for r in rows]

    # -- changing --------------------------------------------------------------------------

    def add(self, material: KeyMaterial, label: str) -> Credential:
        """Store new key material as version 1 of a new credential.

        Raises :class:`KeyAlreadyConnected` (field ``api_key``) if this exchange key id is already
        stored, by this owner or any other, and :class:`Invalid` for a blank label.
        """
        label = check_label(label)
        key_hash = self._vault.lookup_hash(material.api_key)
        credential_id, version_id = new_id(), new_id()
        sealed = seal_material(self._vault, self._owner, material)
        now = utcnow()
        try:
            with self._store.write() as session:
                if session.get(OwnerRow, self._owner) is None:
                    raise NotFound("owner not found")
                self._refuse_claimed(session, material.exchange, key_hash, credential_id)
                row = CredentialRow(
                    id=credential_id,
                    owner_id=self._owner,
                    exchange=material.exchange.value,
                    label=label,
                    current_version=1,
                    created_at=now,
                    permissions=[],
                    ips=[],
                )
                session.add(row)
                session.flush()
                session.add(
                    KeyClaimRow(
                        exchange=material.exchange.value,
                        key_id_hash=key_hash,
                        owner_id=self._owner,
                        credential_id=credential_id,
                    )
                )
                self._add_version(session, credential_id, version_id, 1, material, key_hash, sealed)
                self._log(
                    session,
                    "credential.add",
                    credential_id=credential_id,
                    details={"exchange": material.exchange.value, "key": material.key_id_masked, "label": label},
                )
                return credential_view(row, material.key_id_masked)
        except IntegrityError:
            # Another add of the same key won the race for its claim row.
            raise KeyAlreadyConnected(
                "api_key: this API key is already connected to a tradebind account", field="api_key"
            ) from None

    def relabel(self, credential_id: str, label: str) -> Credential:
        label = check_label(label)
        with self._store.write() as session:
            row = self._row(session, credential_id)
            row.label = label
            self._log(session, "credential.relabel", credential_id=credential_id, details={"label": label})
            return credential_view(row, self._current_version(session, row).key_id_masked)

    def replace_material(self, credential_id: str, material: KeyMaterial) -> Credential:
        """Make ``material`` the credential's next version and shred the previous version's values.

        Every binding of the credential, and so every bot on them, uses the new version from its
        next request on (see ``BindingRepository.resolve``). The exchange cannot change.
        """
        key_hash = self._vault.lookup_hash(material.api_key)
        version_id = new_id()
        sealed = seal_material(self._vault, self._owner, material)
        try:
            with self._store.write() as session:
                row = self._row(session, credential_id, lock=True)
                if row.exchange != material.exchange.value:
                    raise Invalid(
                        f"exchange: this credential is for {row.exchange}; add a new credential for "
                        f"{material.exchange.value}",
                        field="exchange",
                    )
                old = self._current_version(session, row)
                if old.key_id_hash != key_hash:
                    self._refuse_claimed(session, material.exchange, key_hash, credential_id)
                    session.execute(delete(KeyClaimRow).where(KeyClaimRow.credential_id == credential_id))
                    session.add(
                        KeyClaimRow(
                            exchange=row.exchange,
                            key_id_hash=key_hash,
                            owner_id=self._owner,
                            credential_id=credential_id,
                        )
                    )
                new_version = row.current_version + 1
                self._add_version(session, credential_id, version_id, new_version, material, key_hash, sealed)
                shredded = shred(session, self._owner, [old.id])
                old.shredded_at = utcnow()
                row.current_version, row.rotated_at = new_version, utcnow()
                row.permissions, row.ips, row.checked_at = [], [], None
                self._log(
                    session,
                    "credential.replace",
                    credential_id=credential_id,
                    details={"from_version": old.version, "to_version": new_version, "key": material.key_id_masked},
                )
                view = credential_view(row, material.key_id_masked)
        except IntegrityError:
            raise KeyAlreadyConnected(
                "api_key: this API key is already connected to a tradebind account", field="api_key"
            ) from None
        self._forget(shredded)
        return view

    def record_check(
        self,
        credential_id: str,
        *,
        verdict: str,
        permissions: Sequence[str],
        ips: Sequence[str],
        account: str | None = None,
    ) -> Credential:
        """Remember what the last check saw: the key's permissions and allowed IPs, its verdict,
        and the exchange account it belongs to (kept when the check could not tell)."""
        with self._store.write() as session:
            row = self._row(session, credential_id)
            row.permissions, row.ips, row.checked_at = list(permissions), list(ips), utcnow()
            if account:
                row.exchange_account = account[:64]
            self._log(
                session,
                "credential.check",
                verdict,
                credential_id=credential_id,
                details={"permissions": list(permissions), "ips": list(ips)},
            )
            return credential_view(row, self._current_version(session, row).key_id_masked)

    def delete(self, credential_id: str) -> None:
        """Delete the credential, its bindings and every version's data keys (crypto-shredding).

        Refused with :class:`InUse` listing the bots on its bindings that are not stopped; stopped
        bots stay, without a binding.
        """
        with self._store.write() as session:
            row = self._row(session, credential_id, lock=True)
            binding_ids = list(
                session.scalars(
                    select(BindingRow.id).where(
                        BindingRow.owner_id == self._owner, BindingRow.credential_id == credential_id
                    )
                )
            )
            bots = active_bots(session, self._owner, binding_ids)
            if bots:
                raise InUse(f"credential {row.label!r}", bots)
            version_ids = list(
                session.scalars(
                    select(CredentialVersionRow.id).where(
                        CredentialVersionRow.owner_id == self._owner,
                        CredentialVersionRow.credential_id == credential_id,
                    )
                )
            )
            shredded = shred(session, self._owner, version_ids)
            if binding_ids:
                session.execute(update(BotRow).where(BotRow.binding_id.in_(binding_ids)).values(binding_id=None))
                session.execute(delete(BindingRow).where(BindingRow.id.in_(binding_ids)))
            session.execute(delete(KeyClaimRow).where(KeyClaimRow.credential_id == credential_id))
            session.execute(delete(CredentialVersionRow).where(CredentialVersionRow.id.in_(version_ids)))
            session.delete(row)
            self._log(
                session,
                "credential.delete",
                credential_id=credential_id,
                details={"label": row.label, "bindings_deleted": len(binding_ids), "values_shredded": len(shredded)},
            )
        self._forget(shredded)

    # -- using the secret ------------------------------------------------------------------

    def open(self, credential_id: str, *, purpose: str) -> OpenedCredential:
        """Decrypt the current version's material for ``purpose`` (e.g. ``"check"``, ``"order"``).

        Every call is logged (``secret.use``: who, which credential, what for, result) and updates
        ``last_used_at``. Fails closed: if the log entry cannot be written, no material is returned.
        Raises :class:`NotFound`, or the vault's :class:`~tradebind.vault.api.VaultError` (logged).
        """
        purpose = check_label(purpose, "purpose")
        with self._store.read() as session:
            row = self._row(session, credential_id)
            version = self._current_version(session, row)
            stored = load_sealed(session, self._owner, version.id)
            exchange, masked, number, version_id = (
                Exchange(row.exchange),
                version.key_id_masked,
                version.version,
                version.id,
            )
        details = {"version": number, "key": masked}
        try:
            opened = {item.field: open_sealed(self._vault, self._owner, item) for item in stored}
            if "api_key" not in opened or "secret" not in opened:
                raise VaultError("credential material is incomplete")
        except VaultError as exc:
            with self._store.write() as session:
                self._log(
                    session,
                    "secret.use",
                    f"failed: {type(exc).__name__}",
                    credential_id=credential_id,
                    purpose=purpose,
                    details=details,
                )
            raise
        with self._store.write() as session:
            session.execute(
                update(CredentialRow)
                .where(CredentialRow.owner_id == self._owner, CredentialRow.id == credential_id)
                .values(last_used_at=utcnow())
            )
            self._log(session, "secret.use", credential_id=credential_id, purpose=purpose, details=details)
        return OpenedCredential(
            credential_id=credential_id,
            version_id=version_id,
            version=number,
            exchange=exchange,
            key_id_masked=masked,
            api_key=opened["api_key"],
            secret=opened["secret"],
            passphrase=opened.get("passphrase"),
        )

    # -- helpers -----------------------------------------------------------------------------

    def _row(self, session: Session, credential_id: str, *, lock: bool = False) -> CredentialRow:
        return self._owned(session, CredentialRow, credential_id, "credential", lock=lock)

    def _current_version(self, session: Session, row: CredentialRow) -> CredentialVersionRow:
        return session.scalars(
            select(CredentialVersionRow).where(
                CredentialVersionRow.owner_id == self._owner,
                CredentialVersionRow.credential_id == row.id,
                CredentialVersionRow.version == row.current_version,
            )
        ).one()

    def _refuse_claimed(self, session: Session, exchange: Exchange, key_hash: str, credential_id: str) -> None:
        claim = session.get(KeyClaimRow, (exchange.value, key_hash))
        if claim is None or claim.credential_id == credential_id:
            return
        if claim.owner_id == self._owner:
            label = session.scalars(select(CredentialRow.label).where(CredentialRow.id == claim.credential_id)).one()
            raise KeyAlreadyConnected(
                f"api_key: this API key is already stored as credential {label!r}", field="api_key"
            )
        raise KeyAlreadyConnected(
            "api_key: this API key is already connected to another tradebind account; one exchange key has one owner",
            field="api_key",
        )

    def _add_version(
        self,
        session: Session,
        credential_id: str,
        version_id: str,
        version: int,
        material: KeyMaterial,
        key_hash: str,
        sealed: list[SealedField],
    ) -> None:
        session.add(
            CredentialVersionRow(
                id=version_id,
                owner_id=self._owner,
                credential_id=credential_id,
                version=version,
                key_id_masked=material.key_id_masked,
                key_id_hash=key_hash,
                created_at=utcnow(),
            )
        )
        session.flush()
        store_sealed(session, self._owner, version_id, sealed)

    def _forget(self, value_ids: list[str]) -> None:
        for value_id in value_ids:
            self._vault.forget(value_id)
