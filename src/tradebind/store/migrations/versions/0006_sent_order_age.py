"""The sent-order journal: an index on ``sent_at``, so entries past their retention are found
without reading the whole journal (``tradebind.store.sent_orders``).

Revision ID: 0006_sent_order_age
Revises: 0005_accounts
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_sent_order_age"
down_revision: str | Sequence[str] | None = "0005_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_gateway_sent_orders_sent_at"), "gateway_sent_orders", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_gateway_sent_orders_sent_at"), table_name="gateway_sent_orders")
