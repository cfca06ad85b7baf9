"""Tables of the web cabinet: sign-in accounts, sessions, recovery codes, and each binding's last check.

Migration ``0002_web`` creates them. No secret sits here in plain text: the password is an argon2id
hash, the TOTP secret an envelope (payload + wrapped data key, sealed by the vault with associated
data owner + ``web_users`` + ``totp``), recovery codes and session tokens SHA-256 digests.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tradebind.store.tables import ID, Base, UtcDateTime

__all__ = ["BindingCheckRow", "RecoveryCodeRow", "WebSessionRow", "WebUserRow"]


class WebUserRow(Base):
    """How an owner signs in: email, password hash, and (once enabled) the sealed TOTP secret."""

    __tablename__ = "web_users"

    owner_id: Mapped[str] = mapped_column(ID, ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The sealed TOTP secret; ``totp_enabled_at`` is set once a code proved the user holds it.
    totp_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    totp_kek_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    totp_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The last accepted TOTP time step: a code is good once (no replay inside its 30 s window).
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCodeRow(Base):
    """One single-use recovery code, as a SHA-256 digest (the codes are random, 50+ bits)."""

    __tablename__ = "web_recovery_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class WebSessionRow(Base):
    """A signed-in session (browser cookie or API bearer token), by the SHA-256 of its token."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # When this session last proved a second factor (login with TOTP, enabling 2FA, step-up).
    second_factor_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class BindingCheckRow(Base):
    """The last check of a binding: what the key list shows without calling the exchange."""

    __tablename__ = "binding_checks"

    binding_id: Mapped[str] = mapped_column(ID, ForeignKey("bindings.id", ondelete="CASCADE"), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    verdict: Mapped[str] = mapped_column(String(32))
    available: Mapped[str | None] = mapped_column(String(64), nullable=True)
    quote: Mapped[str | None] = mapped_column(String(16), nullable=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    report: Mapped[str] = mapped_column(Text)
