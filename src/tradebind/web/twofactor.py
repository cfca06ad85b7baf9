"""Turning on two-factor authentication, shared by the security page and the JSON API."""

from __future__ import annotations

from tradebind.store import StoreError
from tradebind.store.web_accounts import WebAccounts, WebSessions
from tradebind.vault.api import SecretValue
from tradebind.web import security
from tradebind.web.auth import Principal
from tradebind.web.context import WebContext
from tradebind.web.errors import WebError, from_store

__all__ = ["confirm_totp", "stage_totp"]


def stage_totp(ctx: WebContext, principal: Principal) -> tuple[str, str]:
    """Seal a fresh TOTP secret as pending; returns it and its ``otpauth://`` URI (shown once).

    409 naming ``code`` when 2FA is already on (turning it off is not offered: it guards keys).
    """
    secret = security.new_totp_secret()
    try:
        WebAccounts(ctx.store, ctx.vault).stage_totp(principal.owner_id, SecretValue(secret))
    except StoreError as exc:
        raise from_store(exc) from None
    return secret, security.totp_uri(secret, principal.email)


def confirm_totp(ctx: WebContext, principal: Principal, code: str) -> list[str]:
    """Turn 2FA on once ``code`` proves the app holds the pending secret; returns the recovery codes.

    The session counts as having just proved a second factor.
    """
    accounts = WebAccounts(ctx.store, ctx.vault)
    if principal.totp_enabled:
        raise WebError(409, "code: two-factor authentication is already on", "code")
    secret = accounts.totp_secret(principal.owner_id)
    if secret is None:
        raise WebError(409, "code: start the two-factor setup first", "code")
    step = security.totp_step(secret.reveal(), code)
    if step is None or not accounts.accept_step(principal.owner_id, step):
        raise WebError(422, "code: wrong code; enter the 6 digits your authenticator app shows now", "code")
    codes = security.new_recovery_codes()
    accounts.enable_totp(principal.owner_id, [security.digest(c) for c in codes])
    WebSessions(ctx.store).mark_second_factor(principal.session.token_hash)
    return codes
