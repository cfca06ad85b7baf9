"""Bots: deals and their orders (see tradebind.store.deals). Amounts are exact decimal text.

Revision ID: 0003_bots
Revises: 0002_web
Create Date: 2026-11-21

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_bots"
down_revision: str | Sequence[str] | None = "0002_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNT = sa.String(length=48)  # tradebind.store.deals.DecimalText


def upgrade() -> None:
    op.create_table(
        "deals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("bot_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("close_reason", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_deals_bot_id_bots"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("bot_id", "seq", name=op.f("uq_deals_bot_id")),
    )
    op.create_index(op.f("ix_deals_owner_id"), "deals", ["owner_id"])
    op.create_index("ix_deals_bot_status", "deals", ["bot_id", "status"])
    op.create_table(
        "deal_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("bot_id", sa.String(length=36), nullable=False),
        sa.Column("deal_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("exchange_order_id", sa.String(length=64), nullable=True),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("price", AMOUNT, nullable=True),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("filled", AMOUNT, nullable=False),
        sa.Column("average_price", AMOUNT, nullable=True),
        sa.Column("fee_quote", AMOUNT, nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_orders_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_orders")),
        sa.UniqueConstraint("deal_id", "step", name=op.f("uq_deal_orders_deal_id")),
        sa.UniqueConstraint("bot_id", "client_order_id", name=op.f("uq_deal_orders_bot_id")),
    )
    op.create_index(op.f("ix_deal_orders_owner_id"), "deal_orders", ["owner_id"])
    op.create_index(op.f("ix_deal_orders_deal_id"), "deal_orders", ["deal_id"])


def downgrade() -> None:
    op.drop_table("deal_orders")
    op.drop_table("deals")
