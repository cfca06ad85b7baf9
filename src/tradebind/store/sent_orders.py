"""Retention of the gateway's sent-order journal (``gateway_sent_orders``).

The journal answers one question before an order is placed: was this client order id ever sent
on this binding (then it may exist on the exchange, and the gateway looks it up first)? An id is
sent again only by a retry within the gateway's retry window (minutes), or by a bot resending
a stored ``pending`` order, which the runner first looks up by client order id itself. A week
covers both with a wide margin; older entries only grow the table (one row per order: about
ten million a day at the load benchmark's rate).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, delete, select

from .engine import Store
from .gateway_tables import SentOrderRow

__all__ = ["SENT_ORDER_RETENTION", "prune_sent_orders"]

SENT_ORDER_RETENTION = timedelta(days=7)

_TABLE = cast(Table, SentOrderRow.__table__)
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
