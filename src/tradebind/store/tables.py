"""Tables of the store (SQLAlchemy 2 declarative). Migrations in ``migrations/`` create them.

Secret material never sits here in plain text: ``secret_values`` holds AES-GCM payloads and
``data_keys`` the wrapped data keys, one row per secret value, so deleting the ``data_keys`` row
shreds the value. Every owned row carries ``owner_id`` so every query can be scoped by owner.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ActivityHeadRow",
    "ActivityRow",
    "Base",
    "BindingRow",
    "BotRow",
    "CredentialRow",
    "CredentialVersionRow",
    "DataKeyRow",
    "KeyClaimRow",
    "OwnerRow",
    "SecretValueRow",
    "UtcDateTime",
    "utcnow",
]

ID = String(36)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL alike.

    Stored as naive UTC so both backends round-trip the exact value (the activity chain hashes it).
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class OwnerRow(Base):
    __tablename__ = "owners"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CredentialRow(Base):
    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    exchange: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    ips: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The exchange's id of the key's account, as the last check saw it (None: not said or unknown).
    exchange_account: Mapped[str | None] = mapped_column(String(64), nullable=True)


class CredentialVersionRow(Base):
    """One version of a credential's material. Replaced versions keep this row (history) but lose
    their secret values and data keys (``shredded_at`` set)."""

    __tablename__ = "credential_versions"
    __table_args__ = (UniqueConstraint("credential_id", "version"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    credential_id: Mapped[str] = mapped_column(ID, ForeignKey("credentials.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    key_id_masked: Mapped[str] = mapped_column(String(16))
    key_id_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    shredded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


# Join condition: a credential and its current version (the material its bindings use now).
CURRENT_VERSION = (CredentialVersionRow.credential_id == CredentialRow.id) & (
    CredentialVersionRow.version == CredentialRow.current_version
)


class KeyClaimRow(Base):
    """Which credential holds an exchange key id (by keyed look-up hash): one key, one owner.

    The primary key makes two concurrent adds of the same key collide in the database itself.
    """

    __tablename__ = "key_claims"

    exchange: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_id_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    credential_id: Mapped[str] = mapped_column(ID, ForeignKey("credentials.id", ondelete="CASCADE"), unique=True)


class SecretValueRow(Base):
    """The payload ciphertext of one secret value (``field``: api_key, secret or passphrase)."""

    __tablename__ = "secret_values"
    __table_args__ = (UniqueConstraint("version_id", "field"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    version_id: Mapped[str] = mapped_column(ID, ForeignKey("credential_versions.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(16))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class DataKeyRow(Base):
    """The wrapped data key of one secret value; deleting this row shreds the value."""

    __tablename__ = "data_keys"
    __table_args__ = (Index("ix_data_keys_kek", "provider", "kek_version"),)

    secret_value_id: Mapped[str] = mapped_column(
        ID, ForeignKey("secret_values.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[str] = mapped_column(ID)
    provider: Mapped[str] = mapped_column(String(32))
    kek_version: Mapped[int] = mapped_column(Integer)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rewrapped_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class BindingRow(Base):
    __tablename__ = "bindings"
    __table_args__ = (UniqueConstraint("credential_id", "market"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    credential_id: Mapped[str] = mapped_column(ID, ForeignKey("credentials.id", ondelete="CASCADE"))
    market: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BotRow(Base):
    __tablename__ = "bots"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    binding_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("bindings.id", ondelete="SET NULL"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    symbol: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ActivityRow(Base):
    """One activity-log entry. Append-only; ``hash`` chains it to the previous entry of its chain.

    ``details`` is canonical JSON text (not a JSON column) so the hashed bytes round-trip exactly.
    ``credential_id`` is no foreign key: entries outlive the credentials they mention.
    """

    __tablename__ = "activity"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    chain: Mapped[str] = mapped_column(ID)
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    purpose: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ActivityHeadRow(Base):
    """The last entry of each chain: appends lock this row, and verify detects a cut-off tail."""

    __tablename__ = "activity_heads"

    chain: Mapped[str] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
