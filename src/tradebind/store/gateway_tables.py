"""Tables of the gateway's per-binding controls (guards, the circuit breaker's pause), its
journal of order requests sent, the generation of what binding snapshots read, and how far each
request journal has been copied into the activity log.

Migration ``0004_gateway`` creates the guards, pauses and journal. They hang off ``bindings``
with ``ON DELETE CASCADE``, so deleting a binding (or its credential) takes them along. Migration
``0007_binding_generation`` creates the generation, ``0008_request_journals`` the copy marks.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tradebind.store.tables import ID, Base, UtcDateTime
from tradebind.store.types import AMOUNT

__all__ = ["BindingGenerationRow", "BindingGuardRow", "BindingPauseRow", "RequestJournalRow", "SentOrderRow"]


class BindingGuardRow(Base):
    """A binding's guards: the symbols bots may trade (empty: any) and the largest order value
    in the quote currency (NULL: no limit)."""

    __tablename__ = "binding_guards"

    binding_id: Mapped[str] = mapped_column(ID, ForeignKey("bindings.id", ondelete="CASCADE"), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    allowed_symbols: Mapped[list[Any]] = mapped_column(JSON)
    max_order_value: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BindingPauseRow(Base):
    """An open circuit: the exchange refused the binding's key; bots wait for a successful re-check."""

    __tablename__ = "binding_pauses"

    binding_id: Mapped[str] = mapped_column(ID, ForeignKey("bindings.id", ondelete="CASCADE"), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    verdict: Mapped[str] = mapped_column(String(32))
    fix: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column()  # the credential version the exchange refused
    paused_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SentOrderRow(Base):
    """A client order id the gateway has sent (or was about to send) to the exchange.

    Written before the first request for the id leaves: an id found here may exist on the
    exchange, so the gateway looks it up before sending again; an id not found here was never
    sent, so it is placed without a look-up. Entries are kept for a week
    (:mod:`tradebind.store.sent_orders`).
    """

    __tablename__ = "gateway_sent_orders"

    binding_id: Mapped[str] = mapped_column(ID, ForeignKey("bindings.id", ondelete="CASCADE"), primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # retention: store.sent_orders


class BindingGenerationRow(Base):
    """One row (``id`` 1) whose ``n`` moves with every change to what a binding snapshot reads.

    On SQLite, triggers of migration ``0007_binding_generation`` add one to ``n`` in the same
    transaction as every insert, update or delete of ``bindings``, ``credentials``,
    ``credential_versions``, ``binding_guards`` and ``binding_pauses``, whoever writes them. So
    an unchanged ``n`` proves a snapshot read earlier is still what a fresh read would return
    (:class:`tradebind.store.binding_controls.SnapshotReader`). PostgreSQL has the row but no
    triggers: the reader reads fresh there.
    """

    __tablename__ = "binding_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


class RequestJournalRow(Base):
    """How many bytes of a gateway's request journal (a file named ``name``) are in the activity
    log. Moved in the same transaction as the entries it covers, so a journal read again after a
    crash is copied from exactly there: no record twice, none missed
    (:mod:`tradebind.gateway.request_journal`)."""

    __tablename__ = "request_journals"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    copied: Mapped[int] = mapped_column(BigInteger)
