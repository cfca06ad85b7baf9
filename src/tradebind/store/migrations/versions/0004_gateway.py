"""Gateway: per-binding guards (allowed symbols, maximum order value), circuit-breaker pauses, and
the journal of client order ids sent.

Revision ID: 0004_gateway
Revises: 0003_bots
Create Date: 2026-11-21

Chained after 0004_bots, the head when this was written (0004_bots already revised 0002_web;
two revisions of one parent would leave two heads and ``upgrade head`` would refuse).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_gateway"
down_revision: str | Sequence[str] | None = "0003_bots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "binding_guards",
        sa.Column("binding_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("allowed_symbols", sa.JSON(), nullable=False),
        sa.Column("max_order_value", sa.String(length=48), nullable=True),  # store.types.DecimalText
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["bindings.id"], name=op.f("fk_binding_guards_binding_id_bindings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("binding_id", name=op.f("pk_binding_guards")),
    )
    op.create_index(op.f("ix_binding_guards_owner_id"), "binding_guards", ["owner_id"])
    op.create_table(
        "binding_pauses",
        sa.Column("binding_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("fix", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["bindings.id"], name=op.f("fk_binding_pauses_binding_id_bindings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("binding_id", name=op.f("pk_binding_pauses")),
    )
    op.create_index(op.f("ix_binding_pauses_owner_id"), "binding_pauses", ["owner_id"])
    op.create_table(
        "gateway_sent_orders",
        sa.Column("binding_id", sa.String(length=36), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["bindings.id"], name=op.f("fk_gateway_sent_orders_binding_id_bindings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("binding_id", "client_order_id", name=op.f("pk_gateway_sent_orders")),
    )
    op.create_index(op.f("ix_gateway_sent_orders_owner_id"), "gateway_sent_orders", ["owner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_gateway_sent_orders_owner_id"), table_name="gateway_sent_orders")
    op.drop_table("gateway_sent_orders")
    op.drop_index(op.f("ix_binding_pauses_owner_id"), table_name="binding_pauses")
    op.drop_table("binding_pauses")
    op.drop_index(op.f("ix_binding_guards_owner_id"), table_name="binding_guards")
    op.drop_table("binding_guards")
