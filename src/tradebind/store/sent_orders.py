"""Retention of the gateway's sent-order journal (``gateway_sent_orders``).

The journal answers one question before an order is placed: was this client order id ever sent
on this binding (then it may exist on the exchange, and the gateway looks it up first)? An id is
sent again only by a retry within the gateway's retry window (minutes), or by a bot resending
a stored ``pending`` order, which the runner first looks up by client order id itself. A week
covers both with a wide margin; older entries only grow the table (one row per order: about
ten million a day at the load benchmark's rate).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import Table, and_, bindparam, delete, insert, select

from .engine import Store
from .gateway_tables import SentOrderRow
from .tables import BindingRow

__all__ = [
    "COPY_SENT",
    "SENT_FROM_BINDING",
    "SENT_ORDER_RETENTION",
    "SentEntry",
    "SentOrderLookup",
    "prune_sent_orders",
]

SENT_ORDER_RETENTION = timedelta(days=7)

_TABLE = cast(Table, SentOrderRow.__table__)


class SentEntry(NamedTuple):
    """A client order id journaled as sent on an owner's binding, and when (aware UTC)."""

    owner_id: str
    binding_id: str
    client_order_id: str
    sent_at: datetime


# An order id sent on a binding, inserted from the owner's own binding: a foreign or missing
# binding inserts no row, so the ownership check costs no extra round trip on the order path.
# Parameters are named after the columns they fill (SentEntry's fields).
SENT_FROM_BINDING = insert(_TABLE).from_select(
    ["binding_id", "client_order_id", "owner_id", "sent_at"],
    select(
        BindingRow.id,
        bindparam("client_order_id", type_=SentOrderRow.client_order_id.type),
        BindingRow.owner_id,
        bindparam("sent_at", type_=SentOrderRow.sent_at.type),
    ).where(BindingRow.id == bindparam("binding_id"), BindingRow.owner_id == bindparam("owner_id")),
)
# The same for an entry copied from the gateway's journal (SQLite): one already there (copied
# twice) or a binding gone since inserts nothing.
COPY_SENT = SENT_FROM_BINDING.prefix_with("OR IGNORE", dialect="sqlite")
_JOURNALED = select(_TABLE.c.client_order_id).where(
    _TABLE.c.binding_id == bindparam("binding_id"), _TABLE.c.client_order_id == bindparam("client_order_id")
)


class SentOrderLookup:
    """Whether a client order id is in the journal table, for the order path: on a SQLite file a
    plain sqlite3 connection of its own (one primary-key read; WAL readers never wait for
    writers); :meth:`open` gives None elsewhere. Use from one thread at a time."""

    def __init__(self, conn: sqlite3.Connection, store: Store) -> None:
        self._conn = conn
        compiled = _JOURNALED.compile(dialect=store.engine.dialect)
        self._sql = str(compiled)
        self._order = tuple(compiled.positiontup or ())

    @classmethod
    def open(cls, store: Store) -> SentOrderLookup | None:
        conn = store.sqlite_file_connection()
        return cls(conn, store) if conn is not None else None

    def journaled(self, binding_id: str, client_order_id: str) -> bool:
        values = {"binding_id": binding_id, "client_order_id": client_order_id}
        return self._conn.execute(self._sql, [values[n] for n in self._order]).fetchone() is not None

    def close(self) -> None:
        self._conn.close()


_DELETE_ONE = delete(_TABLE).where(
    and_(_TABLE.c.binding_id == bindparam("b"), _TABLE.c.client_order_id == bindparam("c"))
)


def prune_sent_orders(store: Store, *, before: datetime, batch: int = 1000) -> int:
    """Delete journal entries sent before ``before``; the number deleted.

    ``batch`` entries per write transaction, so bots' journal writes get the write lock between
    batches rather than after the whole prune."""
    if batch <= 0:
        raise ValueError("batch must be positive")
    oldest = (
        select(_TABLE.c.binding_id, _TABLE.c.client_order_id)
        .where(_TABLE.c.sent_at < before)
        .order_by(_TABLE.c.sent_at)
        .limit(batch)
    )
    deleted = 0
    while True:
        with store.write() as session:
            keys = [{"b": b, "c": c} for b, c in session.execute(oldest)]
            if keys:
                session.execute(_DELETE_ONE, keys)
        deleted += len(keys)
        if len(keys) < batch:
            return deleted
