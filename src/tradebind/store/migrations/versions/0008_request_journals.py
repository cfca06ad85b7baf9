"""How far each request journal has been copied into the activity log
(``tradebind.store.gateway_tables.RequestJournalRow``).

Revision ID: 0008_request_journals
Revises: 0007_binding_generation
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_request_journals"
down_revision: str | Sequence[str] | None = "0007_binding_generation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_journals",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("copied", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_request_journals")),
    )


def downgrade() -> None:
    op.drop_table("request_journals")
