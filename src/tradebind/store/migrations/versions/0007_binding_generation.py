"""The binding generation: one counter that every change to what a binding snapshot reads moves,
so the gateway can tell with a one-page read that the snapshot it holds is still current
(``tradebind.store.gateway_tables.BindingGenerationRow``).

On SQLite, triggers move it in the writer's own transaction. PostgreSQL gets the row only: the
gateway reads snapshots fresh there (a round trip either way).

Revision ID: 0007_binding_generation
Revises: 0006_sent_order_age
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_binding_generation"
down_revision: str | Sequence[str] | None = "0006_sent_order_age"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table a binding snapshot reads (tradebind.store.binding_controls._SNAPSHOT); the reader
# reads fresh unless each has all three triggers, named as below.
TABLES = ("bindings", "credentials", "credential_versions", "binding_guards", "binding_pauses")
EVENTS = ("insert", "update", "delete")


def upgrade() -> None:
    op.create_table(
        "binding_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding_generation")),
    )
    op.execute("INSERT INTO binding_generation (id, n) VALUES (1, 0)")
    if op.get_bind().dialect.name != "sqlite":
        return
    bump = "UPDATE binding_generation SET n = n + 1 WHERE id = 1"
    for table in TABLES:  # names from the constants above, no input
        for event in EVENTS:
            name = f"binding_generation_{table}_{event}"
            op.execute(f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} BEGIN {bump}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS binding_generation_{table}_{event}")
    op.drop_table("binding_generation")
