"""Alembic environment: runs on the connection the store hands over (see ``Store.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tradebind.store.tables import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("tradebind migrations run through tradebind.store.Store.migrate()")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
