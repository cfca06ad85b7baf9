"""Credentials: the exchange account their key belongs to, as the last check saw it.

Keys of one exchange account share its rate limits, so the gateway budgets by account where the
account is known (``credentials.exchange_account``: OKX ``uid``, Bybit ``userID``) and by
credential otherwise.

Revision ID: 0005_accounts
Revises: 0004_gateway
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_accounts"
down_revision: str | Sequence[str] | None = "0004_gateway"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("exchange_account", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("exchange_account")
