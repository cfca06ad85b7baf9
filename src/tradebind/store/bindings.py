"""Bindings: credential + market + label, what a bot selects. At most one per market per credential."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradebind.domain.credentials import Binding, Exchange, ResolvedBinding
from tradebind.domain.market import Market
from tradebind.store.credentials import active_bots
from tradebind.store.errors import Conflict, InUse
from tradebind.store.owners import new_id
from tradebind.store.scope import OwnerScoped, check_choice, check_label
from tradebind.store.tables import BindingRow, BotRow, CredentialRow, CredentialVersionRow, utcnow

__all__ = ["BindingRepository"]


def _binding(row: BindingRow) -> Binding:
    return Binding(row.id, row.owner_id, row.credential_id, Market(row.market), row.label, row.created_at)


class BindingRepository(OwnerScoped):
    """One owner's bindings; another owner's id raises :class:`NotFound` like a missing one."""

    def get(self, binding_id: str) -> Binding:
        with self._store.read() as session:
            return _binding(self._row(session, binding_id))

    def all(self, *, credential_id: str | None = None) -> list[Binding]:
        """This owner's bindings (of one credential if given), oldest first."""
        query = select(BindingRow).where(BindingRow.owner_id == self._owner)
        if credential_id is not None:
            query = query.where(BindingRow.credential_id == credential_id)
        with self._store.read() as session:
            return [_binding(r) for r in session.scalars(query.order_by(BindingRow.created_at, BindingRow.id))]

    def add(self, credential_id: str, market: str, label: str) -> Binding:
        """Bind the credential to ``market``. :class:`Conflict` (field ``market``) if it already has one."""
        chosen = check_choice(Market, market, "market")
        label = check_label(label)
        row = BindingRow(
            id=new_id(),
            owner_id=self._owner,
            credential_id=credential_id,
            market=chosen.value,
            label=label,
            created_at=utcnow(),
        )
        try:
            with self._store.write() as session:
                self._credential(session, credential_id)
                session.add(row)
                session.flush()
                self._log(
                    session,
                    "binding.add",
                    credential_id=credential_id,
                    details={"binding": row.id, "market": chosen.value, "label": label},
                )
        except IntegrityError:
            raise Conflict(f"market: this credential already has a {chosen.value} binding", field="market") from None
        return _binding(row)

    def relabel(self, binding_id: str, label: str) -> Binding:
        label = check_label(label)
        with self._store.write() as session:
            row = self._row(session, binding_id)
            row.label = label
            self._log(
                session,
                "binding.relabel",
                credential_id=row.credential_id,
                details={"binding": row.id, "label": label},
            )
            return _binding(row)

    def resolve(self, binding_id: str) -> ResolvedBinding:
        """The binding and the credential version it uses *now*.

        Bots call this before each request, so replacing a credential's material reaches every
        bot at its next request without a restart.
        """
        with self._store.read() as session:
            row = self._row(session, binding_id)
            credential = self._credential(session, row.credential_id)
            version = session.scalars(
                select(CredentialVersionRow).where(
                    CredentialVersionRow.owner_id == self._owner,
                    CredentialVersionRow.credential_id == credential.id,
                    CredentialVersionRow.version == credential.current_version,
                )
            ).one()
            return ResolvedBinding(
                binding=_binding(row),
                credential_id=credential.id,
                exchange=Exchange(credential.exchange),
                version=version.version,
                version_id=version.id,
                key_id_masked=version.key_id_masked,
                exchange_account=credential.exchange_account,
            )

    def delete(self, binding_id: str) -> None:
        """Delete the binding. Refused with :class:`InUse` listing its bots that are not stopped;
        stopped bots stay, without a binding."""
        with self._store.write() as session:
            row = self._row(session, binding_id)
            bots = active_bots(session, self._owner, [row.id])
            if bots:
                raise InUse(f"binding {row.label!r}", bots)
            session.execute(update(BotRow).where(BotRow.binding_id == row.id).values(binding_id=None))
            session.delete(row)
            self._log(
                session,
                "binding.delete",
                credential_id=row.credential_id,
                details={"binding": row.id, "market": row.market, "label": row.label},
            )

    def _row(self, session: Session, binding_id: str) -> BindingRow:
        return self._owned(session, BindingRow, binding_id, "binding")

    def _credential(self, session: Session, credential_id: str) -> CredentialRow:
        return self._owned(session, CredentialRow, credential_id, "credential")
