"""What every owner-scoped repository shares: its store, its owner, its actor, and input checks."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from tradebind.store import activity
from tradebind.store.engine import Store
from tradebind.store.errors import Invalid, NotFound
from tradebind.store.tables import Base

__all__ = ["OwnerScoped", "check_choice", "check_label"]

E = TypeVar("E", bound=StrEnum)


R = TypeVar("R", bound=Base)  # a table with ``id`` and ``owner_id`` columns


def check_label(value: str, field: str = "label", *, max_len: int = 200) -> str:
    """``value`` stripped; :class:`Invalid` naming ``field`` if blank or longer than ``max_len``."""
    cleaned = value.strip() if isinstance(value, str) else ""
    if not cleaned or len(cleaned) > max_len:
        raise Invalid(f"{field}: must be 1 to {max_len} characters", field=field)
    return cleaned


def check_choice(kind: type[E], value: str, field: str) -> E:
    """``value`` as a member of ``kind``; :class:`Invalid` naming ``field`` and the choices otherwise."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise Invalid(f"{field}: must be one of {choices}", field=field) from None


class OwnerScoped:
    """Base of the owner-scoped repositories: every query they make filters on ``owner_id``.

    ``actor`` is who acts (recorded in the activity log): the owner by default, or e.g.
    ``"gateway"`` / ``"bot:<id>"`` when a component acts on the owner's behalf.
    """

    def __init__(self, store: Store, owner_id: str, *, actor: str | None = None) -> None:
        self._store = store
        self._owner = owner_id
        self._actor = actor or f"owner:{owner_id}"

    @property
    def owner_id(self) -> str:
        return self._owner

    def _owned(
        self,
        session: Session,
        model: type[R],
        record_id: str,
        what: str,
        *,
        field: str | None = None,
        lock: bool = False,
    ) -> R:
        """This owner's ``model`` row ``record_id``, else :class:`NotFound` ("<what> not found").

        Another owner's id reads exactly like a missing one. ``lock`` takes a row lock
        (``FOR UPDATE`` on PostgreSQL) for read-modify-write sequences.
        """
        columns = inspect(model).c
        query = select(model).where(columns["owner_id"] == self._owner, columns["id"] == record_id)
        row = session.scalars(query.with_for_update() if lock else query).one_or_none()
        if row is None:
            raise NotFound(f"{what} not found", field=field)
        return row

    def _log(
        self,
        session: Session,
        action: str,
        result: str = "ok",
        *,
        credential_id: str | None = None,
        purpose: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        activity.append(
            session,
            self._owner,
            actor=self._actor,
            action=action,
            result=result,
            credential_id=credential_id,
            purpose=purpose,
            details=details,
        )
