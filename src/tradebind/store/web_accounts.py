"""Sign-in accounts and sessions of the web cabinet (tables in :mod:`tradebind.store.web_tables`).

The store keeps what the web layer hands it: an argon2id password hash, SHA-256 digests of
session tokens and recovery codes. The one secret it encrypts itself is the TOTP secret, sealed by
the vault (associated data: owner + ``web_users`` + ``totp``), so a copy of the database alone
cannot mint second factors. Lookups by email are the only ones not scoped by owner: sign-in needs
them, and they return the owner id that scopes everything after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradebind.store import activity
from tradebind.store.engine import Store
from tradebind.store.errors import Conflict, Invalid, NotFound
from tradebind.store.owners import new_id
from tradebind.store.tables import OwnerRow, utcnow
from tradebind.store.web_tables import RecoveryCodeRow, WebSessionRow, WebUserRow
from tradebind.vault.api import Aad, SealedValue, SecretValue, Vault, WrappedKey

__all__ = ["WebAccounts", "WebSession", "WebSessions", "WebUser"]

_TOTP_RECORD = "web_users"
_TOTP_FIELD = "totp"


@dataclass(frozen=True, slots=True)
class WebUser:
    """A sign-in account; ``password_hash`` is argon2id text, never a password."""

    owner_id: str
    email: str
    password_hash: str
    totp_enabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live session: whose, which kind (``browser`` / ``api``), its CSRF token, last second factor."""

    token_hash: str
    owner_id: str
    kind: str
    csrf_token: str
    expires_at: datetime
    second_factor_at: datetime | None


def _user(row: WebUserRow) -> WebUser:
    return WebUser(row.owner_id, row.email, row.password_hash, row.totp_enabled_at is not None, row.created_at)


def _log(session: Session, owner_id: str, action: str, result: str = "ok", **details: object) -> None:
    activity.append(session, owner_id, actor=f"owner:{owner_id}", action=action, result=result, details=details)


class WebAccounts:
    """Creating accounts, checking who signs in, and their second factor."""

    def __init__(self, store: Store, vault: Vault) -> None:
        self._store = store
        self._vault = vault

    def signup(self, email: str, password_hash: str) -> WebUser:
        """A new owner and its sign-in account; :class:`Conflict` (field ``email``) if taken."""
        email = email.strip().lower()
        now = utcnow()
        owner_id = new_id()
        try:
            with self._store.write() as session:
                session.add(OwnerRow(id=owner_id, name=email, created_at=now))
                session.flush()
                row = WebUserRow(
                    owner_id=owner_id, email=email, password_hash=password_hash, created_at=now, totp_last_step=0
                )
                session.add(row)
                session.flush()
                _log(session, owner_id, "web.signup")
                return _user(row)
        except IntegrityError:
            raise Conflict("email: an account with this email already exists", field="email") from None

    def by_email(self, email: str) -> WebUser | None:
        with self._store.read() as session:
            row = session.scalars(select(WebUserRow).where(WebUserRow.email == email.strip().lower())).one_or_none()
            return _user(row) if row else None

    def get(self, owner_id: str) -> WebUser:
        with self._store.read() as session:
            return _user(self._row(session, owner_id))

    def log(self, owner_id: str, action: str, result: str = "ok", **details: object) -> None:
        """Record a sign-in event (login, failed code, logout) in the owner's activity log."""
        with self._store.write() as session:
            _log(session, owner_id, action, result, **details)

    # -- TOTP ----------------------------------------------------------------------------------

    def stage_totp(self, owner_id: str, secret: SecretValue) -> None:
        """Seal ``secret`` as the pending TOTP secret; :class:`Conflict` if 2FA is already on."""
        sealed = self._vault.seal(secret, Aad(owner_id, _TOTP_RECORD, _TOTP_FIELD))
        with self._store.write() as session:
            row = self._row(session, owner_id)
            if row.totp_enabled_at is not None:
                raise Conflict("code: two-factor authentication is already on", field="code")
            row.totp_ciphertext = sealed.ciphertext
            row.totp_provider = sealed.wrapped_key.provider
            row.totp_kek_version = sealed.wrapped_key.kek_version
            row.totp_wrapped = sealed.wrapped_key.blob

    def totp_secret(self, owner_id: str) -> SecretValue | None:
        """The (pending or enabled) TOTP secret, or ``None`` if none was staged."""
        with self._store.read() as session:
            row = self._row(session, owner_id)
            if row.totp_ciphertext is None or row.totp_wrapped is None or row.totp_provider is None:
                return None
            wrapped = WrappedKey(row.totp_provider, row.totp_kek_version or 0, row.totp_wrapped)
            sealed = SealedValue(row.totp_ciphertext, wrapped)
        return self._vault.open(sealed, Aad(owner_id, _TOTP_RECORD, _TOTP_FIELD))

    def accept_step(self, owner_id: str, step: int) -> bool:
        """Claim TOTP time step ``step``: ``False`` if it (or a later one) was used already (replay)."""
        with self._store.write() as session:
            done = session.execute(
                update(WebUserRow)
                .where(WebUserRow.owner_id == owner_id, WebUserRow.totp_last_step < step)
                .values(totp_last_step=step)
            )
            return bool(getattr(done, "rowcount", 0))

    def enable_totp(self, owner_id: str, recovery_hashes: Sequence[str]) -> None:
        """Turn 2FA on and replace the recovery codes with ``recovery_hashes``."""
        with self._store.write() as session:
            row = self._row(session, owner_id)
            if row.totp_ciphertext is None:
                raise Invalid("code: start the two-factor setup first", field="code")
            row.totp_enabled_at = utcnow()
            session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.owner_id == owner_id))
            session.add_all(RecoveryCodeRow(code_hash=h, owner_id=owner_id) for h in recovery_hashes)
            _log(session, owner_id, "web.2fa.enable", recovery_codes=len(recovery_hashes))

    def use_recovery_code(self, owner_id: str, code_hash: str) -> bool:
        """Spend one unused recovery code; ``False`` if it is unknown or spent."""
        with self._store.write() as session:
            done = session.execute(
                update(RecoveryCodeRow)
                .where(
                    RecoveryCodeRow.owner_id == owner_id,
                    RecoveryCodeRow.code_hash == code_hash,
                    RecoveryCodeRow.used_at.is_(None),
                )
                .values(used_at=utcnow())
            )
            used = bool(getattr(done, "rowcount", 0))
            if used:
                _log(session, owner_id, "web.2fa.recovery_code")
            return used

    def recovery_codes_left(self, owner_id: str) -> int:
        with self._store.read() as session:
            query = select(RecoveryCodeRow.code_hash).where(
                RecoveryCodeRow.owner_id == owner_id, RecoveryCodeRow.used_at.is_(None)
            )
            return len(list(session.scalars(query)))

    def _row(self, session: Session, owner_id: str) -> WebUserRow:
        row = session.get(WebUserRow, owner_id)
        if row is None:
            raise NotFound("account not found")
        return row


class WebSessions:
    """Sessions by token digest. Expired sessions are never returned."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
        self, owner_id: str, token_hash: str, *, kind: str, csrf_token: str, ttl: timedelta, second_factor: bool
    ) -> WebSession:
        now = utcnow()
        row = WebSessionRow(
            token_hash=token_hash,
            owner_id=owner_id,
            kind=kind,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=now + ttl,
            second_factor_at=now if second_factor else None,
        )
        with self._store.write() as session:
            session.add(row)
            session.flush()
            # Housekeeping on sign-in: this owner's expired sessions go.
            session.execute(
                delete(WebSessionRow).where(WebSessionRow.owner_id == owner_id, WebSessionRow.expires_at < now)
            )
        return WebSession(token_hash, owner_id, kind, csrf_token, row.expires_at, row.second_factor_at)

    def find(self, token_hash: str) -> WebSession | None:
        with self._store.read() as session:
            row = session.get(WebSessionRow, token_hash)
            if row is None or row.expires_at <= utcnow():
                return None
            return WebSession(
                row.token_hash, row.owner_id, row.kind, row.csrf_token, row.expires_at, row.second_factor_at
            )

    def find_with_user(self, token_hash: str) -> tuple[WebSession, WebUser] | None:
        """The live session and its account in one query (every authenticated request does this)."""
        with self._store.read() as session:
            found = session.execute(
                select(WebSessionRow, WebUserRow)
                .join(WebUserRow, WebUserRow.owner_id == WebSessionRow.owner_id)
                .where(WebSessionRow.token_hash == token_hash, WebSessionRow.expires_at > utcnow())
            ).one_or_none()
            if found is None:
                return None
            row, user = found
            web_session = WebSession(
                row.token_hash, row.owner_id, row.kind, row.csrf_token, row.expires_at, row.second_factor_at
            )
            return web_session, _user(user)

    def mark_second_factor(self, token_hash: str) -> None:
        with self._store.write() as session:
            session.execute(
                update(WebSessionRow).where(WebSessionRow.token_hash == token_hash).values(second_factor_at=utcnow())
            )

    def set_second_factor_at(self, token_hash: str, at: datetime | None) -> None:
        """Set when the session last proved a second factor (operators; tests age a step-up)."""
        with self._store.write() as session:
            session.execute(
                update(WebSessionRow).where(WebSessionRow.token_hash == token_hash).values(second_factor_at=at)
            )

    def end(self, token_hash: str) -> None:
        with self._store.write() as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash))

    def end_all(self, owner_id: str) -> int:
        """End every session of the owner (log out everywhere); returns how many ended."""
        with self._store.write() as session:
            done = session.execute(delete(WebSessionRow).where(WebSessionRow.owner_id == owner_id))
            _log(session, owner_id, "web.logout_everywhere")
            return int(getattr(done, "rowcount", 0))


# -- KEK rotation of the sealed TOTP secrets (called by tradebind.store.rotation) -----------------


def totp_kek_counts(store: Store) -> dict[tuple[str, int], int]:
    """How many sealed TOTP secrets each (provider, KEK version) wraps."""
    from sqlalchemy import func

    with store.read() as session:
        rows = session.execute(
            select(WebUserRow.totp_provider, WebUserRow.totp_kek_version, func.count())
            .where(WebUserRow.totp_wrapped.is_not(None))
            .group_by(WebUserRow.totp_provider, WebUserRow.totp_kek_version)
        )
        return {(str(p), int(v or 0)): int(n) for p, v, n in rows}


def rewrap_totp_secrets(store: Store, vault: Vault, provider: str, target: int) -> int:
    """Rewrap every sealed TOTP secret of ``provider`` under a KEK version older than ``target``.

    Compare-and-set per row (a secret re-staged meanwhile is skipped); returns how many moved.
    """
    with store.read() as session:
        rows = session.execute(
            select(WebUserRow.owner_id, WebUserRow.totp_kek_version, WebUserRow.totp_wrapped).where(
                WebUserRow.totp_provider == provider,
                WebUserRow.totp_kek_version < target,
                WebUserRow.totp_wrapped.is_not(None),
            )
        ).all()
    done = 0
    for owner_id, version, blob in rows:
        if blob is None:
            continue
        new = vault.rewrap(WrappedKey(provider, int(version or 0), bytes(blob)), owner_id)
        with store.write() as session:
            moved = session.execute(
                update(WebUserRow)
                .where(WebUserRow.owner_id == owner_id, WebUserRow.totp_wrapped == blob)
                .values(totp_kek_version=new.kek_version, totp_wrapped=new.blob)
            )
            done += int(getattr(moved, "rowcount", 0))
    return done
