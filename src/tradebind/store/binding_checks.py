"""Each binding's last check, and the key list built from stored figures in one query.

The key list must not call exchanges per request (bench/api_latency.py holds it to p99 < 50 ms at
1,000 bindings), so the check's verdict, available amount and full report are stored here when
the check runs, and the list reads them with the binding, credential and bot count in one SELECT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select

from tradebind.store.errors import NotFound
from tradebind.store.scope import OwnerScoped
from tradebind.store.tables import (
    CURRENT_VERSION,
    ActivityHeadRow,
    BindingRow,
    BotRow,
    CredentialRow,
    CredentialVersionRow,
    utcnow,
)
from tradebind.store.web_tables import BindingCheckRow

__all__ = ["BindingCheckRepository", "KeyListRow", "StoredCheck"]


@dataclass(frozen=True, slots=True)
class StoredCheck:
    """The last check of one binding: its verdict, available amount (decimal text) and report JSON."""

    binding_id: str
    verdict: str
    available: str | None
    quote: str | None
    checked_at: datetime
    report: dict[str, Any]


@dataclass(frozen=True, slots=True)
class KeyListRow:
    """One line of the key list: a binding with its credential's public facts and last check."""

    binding_id: str
    credential_id: str
    exchange: str
    market: str
    label: str
    key_id_masked: str
    verdict: str | None
    available: str | None
    quote: str | None
    bots: int
    checked_at: datetime | None
    last_used_at: datetime | None


class BindingCheckRepository(OwnerScoped):
    """One owner's stored check results; another owner's binding raises :class:`NotFound`."""

    def record(self, binding_id: str, report: dict[str, Any]) -> StoredCheck:
        """Store ``report`` (a :meth:`CheckReport.to_json` dict) as the binding's last check."""
        balance = report.get("balance") or {}
        total = balance.get("total") or {}
        now = utcnow()
        with self._store.write() as session:
            binding = session.scalars(
                select(BindingRow).where(BindingRow.owner_id == self._owner, BindingRow.id == binding_id)
            ).one_or_none()
            if binding is None:
                raise NotFound("binding not found")
            row = session.get(BindingCheckRow, binding_id) or BindingCheckRow(binding_id=binding_id)
            row.owner_id = self._owner
            row.verdict = str(report["verdict"])
            row.available = total.get("available")
            row.quote = balance.get("quote")
            row.checked_at = now
            row.report = orjson.dumps(report).decode()
            session.add(row)
            return _stored(row)

    def last(self, binding_id: str) -> StoredCheck | None:
        with self._store.read() as session:
            row = session.scalars(
                select(BindingCheckRow).where(
                    BindingCheckRow.owner_id == self._owner, BindingCheckRow.binding_id == binding_id
                )
            ).one_or_none()
            return _stored(row) if row else None

    def list_version(self) -> tuple[int, int, datetime | None]:
        """A validator of :meth:`key_list`: it changes whenever the list may have changed.

        Every change behind the list writes the owner's activity log (bindings, credentials and
        their use, bots), so the head of the owner's chain moves; stored checks are counted and
        dated as well. One small query, so a cache shared by nobody (each process its own) stays
        correct when another process changes the data.
        """
        head = select(ActivityHeadRow.seq).where(ActivityHeadRow.chain == self._owner).scalar_subquery()
        checks = select(func.count(), func.max(BindingCheckRow.checked_at)).where(
            BindingCheckRow.owner_id == self._owner
        )
        with self._store.read() as session:
            count, latest = session.execute(checks).one()
            seq = session.execute(select(head)).scalar()
            return int(seq or 0), int(count), latest

    def key_list(self, *, binding_id: str | None = None) -> list[KeyListRow]:
        """This owner's bindings with their last check and bot count, oldest first (one query)."""
        bots = (
            select(BotRow.binding_id, func.count().label("n"))
            .where(BotRow.owner_id == self._owner)
            .group_by(BotRow.binding_id)
            .subquery()
        )
        query = (
            select(
                BindingRow.id,
                BindingRow.credential_id,
                CredentialRow.exchange,
                BindingRow.market,
                BindingRow.label,
                CredentialVersionRow.key_id_masked,
                BindingCheckRow.verdict,
                BindingCheckRow.available,
                BindingCheckRow.quote,
                func.coalesce(bots.c.n, 0),
                BindingCheckRow.checked_at,
                CredentialRow.last_used_at,
            )
            .join(CredentialRow, CredentialRow.id == BindingRow.credential_id)
            .join(CredentialVersionRow, CURRENT_VERSION)
            .outerjoin(BindingCheckRow, BindingCheckRow.binding_id == BindingRow.id)
            .outerjoin(bots, bots.c.binding_id == BindingRow.id)
            .where(BindingRow.owner_id == self._owner, CredentialRow.owner_id == self._owner)
            .order_by(BindingRow.created_at, BindingRow.id)
        )
        if binding_id is not None:
            query = query.where(BindingRow.id == binding_id)
        with self._store.read() as session:
            # Core execution, not ORM: the rows are plain columns, and ORM row processing would
            # take most of the list's time at 1,000 bindings (bench/api_latency.py).
            return [KeyListRow(*row) for row in session.connection().execute(query).all()]


def _stored(row: BindingCheckRow) -> StoredCheck:
    return StoredCheck(row.binding_id, row.verdict, row.available, row.quote, row.checked_at, orjson.loads(row.report))
