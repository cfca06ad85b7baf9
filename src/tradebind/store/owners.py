"""Owners (users) and the owner-scoped unit every repository is built on."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tradebind.domain.credentials import Owner
from tradebind.store import activity
from tradebind.store.engine import Store
from tradebind.store.errors import Conflict, NotFound
from tradebind.store.tables import OwnerRow, utcnow

__all__ = ["OwnerDirectory", "new_id"]


def new_id() -> str:
    """A fresh random record id (UUID4 text): ids reveal neither order nor count."""
    return str(uuid.uuid4())


def _owner(row: OwnerRow) -> Owner:
    return Owner(row.id, row.name, row.created_at)


class OwnerDirectory:
    """Creating and finding owners: the one store class not scoped by owner (it makes owners).

    Sign-in and operator tools use it; everything an owner owns goes through the owner-scoped
    repositories.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, name: str, *, actor: str = "system") -> Owner:
        """A new owner; :class:`Conflict` (field ``name``) if the name is taken or blank."""
        name = name.strip()
        if not name or len(name) > 200:
            raise Conflict("name: must be 1 to 200 characters", field="name")
        row = OwnerRow(id=new_id(), name=name, created_at=utcnow())
        try:
            with self._store.write() as session:
                session.add(row)
                session.flush()
                activity.append(session, row.id, actor=actor, action="owner.create", result="ok")
        except IntegrityError:
            raise Conflict("name: is already taken", field="name") from None
        return _owner(row)

    def get(self, owner_id: str) -> Owner:
        with self._store.read() as session:
            row = session.get(OwnerRow, owner_id)
            if row is None:
                raise NotFound("owner not found")
            return _owner(row)

    def by_name(self, name: str) -> Owner:
        with self._store.read() as session:
            row = session.scalars(select(OwnerRow).where(OwnerRow.name == name.strip())).one_or_none()
            if row is None:
                raise NotFound("owner not found")
            return _owner(row)
