"""Web cabinet: sign-in accounts (password hash, sealed TOTP secret), recovery codes, sessions,
and each binding's last check report.

Revision ID: 0002_web
Revises: 0001
Create Date: 2026-11-21

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_web"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("totp_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("totp_provider", sa.String(length=32), nullable=True),
        sa.Column("totp_kek_version", sa.Integer(), nullable=True),
        sa.Column("totp_wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("totp_enabled_at", sa.DateTime(), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_web_users_owner_id_owners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_web_users")),
        sa.UniqueConstraint("email", name=op.f("uq_web_users_email")),
    )
    op.create_table(
        "web_recovery_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_web_recovery_codes_owner_id_owners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_web_recovery_codes")),
    )
    op.create_index(op.f("ix_web_recovery_codes_owner_id"), "web_recovery_codes", ["owner_id"])
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("second_factor_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_web_sessions_owner_id_owners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_owner_id"), "web_sessions", ["owner_id"])
    op.create_table(
        "binding_checks",
        sa.Column("binding_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("available", sa.String(length=64), nullable=True),
        sa.Column("quote", sa.String(length=16), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["bindings.id"], name=op.f("fk_binding_checks_binding_id_bindings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("binding_id", name=op.f("pk_binding_checks")),
    )
    op.create_index(op.f("ix_binding_checks_owner_id"), "binding_checks", ["owner_id"])


def downgrade() -> None:
    op.drop_table("binding_checks")
    op.drop_table("web_sessions")
    op.drop_table("web_recovery_codes")
    op.drop_table("web_users")
