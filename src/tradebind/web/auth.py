"""Who is asking: sessions (browser cookie, API bearer token), sign-in, second factor and step-up.

Browser sessions live in an HttpOnly, SameSite=Lax cookie (``Secure`` unless the operator serves
plain HTTP on loopback) and every form carries the session's CSRF token. The JSON API takes the
token as ``Authorization: Bearer``; a browser never sends that header by itself, so the API needs
no CSRF token. Adding, replacing or deleting a key needs a second factor proved within
``WebContext.step_up_window``: signing in with a code or enabling 2FA counts, otherwise the form
or request carries a fresh code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request

from tradebind.store.tables import utcnow
from tradebind.store.web_accounts import WebAccounts, WebSession, WebSessions, WebUser
from tradebind.web import security
from tradebind.web.context import WebContext
from tradebind.web.errors import WebError

__all__ = [
    "COOKIE",
    "PRE_CSRF_COOKIE",
    "Principal",
    "api_principal",
    "ctx_of",
    "page_principal",
    "sign_in",
    "start_session",
    "step_up",
    "verify_second_factor",
]

COOKIE = "tb_session"
PRE_CSRF_COOKIE = "tb_csrf"


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user of a request and the session it came with."""

    owner_id: str
    email: str
    totp_enabled: bool
    session: WebSession
    token: str

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


def ctx_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def _principal(ctx: WebContext, token: str, kind: str) -> Principal | None:
    if not token or len(token) > 200:
        return None
    found = WebSessions(ctx.store).find_with_user(security.digest(token))
    if found is None or found[0].kind != kind:
        return None
    session, user = found
    return Principal(user.owner_id, user.email, user.totp_enabled, session, token)


def page_principal(request: Request) -> Principal | None:
    """The browser session's user, or ``None`` when not signed in."""
    return _principal(ctx_of(request), request.cookies.get(COOKIE, ""), "browser")


def api_principal(request: Request) -> Principal:
    """The bearer token's user; 401 naming the ``Authorization`` header otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    principal = _principal(ctx_of(request), token.strip(), "api") if scheme.lower() == "bearer" else None
    if principal is None:
        raise WebError(401, "Authorization: send a valid token as 'Authorization: Bearer <token>'", "Authorization")
    return principal


def verify_second_factor(ctx: WebContext, user: WebUser, code: str) -> bool:
    """``True`` if ``code`` is a current TOTP code (claimed, so never accepted twice) or an unused
    recovery code (spent)."""
    code = code.strip()
    if not code:
        return False
    accounts = WebAccounts(ctx.store, ctx.vault)
    secret = accounts.totp_secret(user.owner_id)
    if secret is not None:
        step = security.totp_step(secret.reveal(), code)
        if step is not None:
            return accounts.accept_step(user.owner_id, step)
    if len(code) <= 20:
        return accounts.use_recovery_code(user.owner_id, security.digest(security.normalise_recovery_code(code)))
    return False


def sign_in(ctx: WebContext, email: str, password: str, code: str, client_ip: str) -> tuple[WebUser, bool]:
    """Check email, password and (when 2FA is on) the code; returns the user and whether a second
    factor was proved. 401 for a wrong combination (never saying which part), 429 while throttled."""
    keys = (f"email:{email.strip().lower()}", f"ip:{client_ip}")
    wait = ctx.throttle.retry_after(*keys)
    if wait:
        raise WebError(
            429, f"email: too many failed sign-ins; try again in {wait} s", "email", extra={"retry_after": wait}
        )
    accounts = WebAccounts(ctx.store, ctx.vault)
    user = accounts.by_email(email)
    if not security.verify_password(user.password_hash if user else None, password) or user is None:
        ctx.throttle.failed(*keys)
        raise WebError(401, "password: wrong email or password", "password")
    if user.totp_enabled:
        if not code.strip():
            raise WebError(401, "code: enter the 6-digit code from your authenticator app", "code")
        if not verify_second_factor(ctx, user, code):
            ctx.throttle.failed(*keys)
            accounts.log(user.owner_id, "web.login", "failed: code")
            raise WebError(401, "code: wrong or already used code", "code")
    ctx.throttle.succeeded(*keys)
    accounts.log(user.owner_id, "web.login")
    return user, user.totp_enabled


def start_session(ctx: WebContext, user: WebUser, *, kind: str, second_factor: bool) -> tuple[str, WebSession]:
    """A new session for ``user``; returns the token (shown once) and the session."""
    token = security.new_token()
    ttl: timedelta = ctx.session_ttl if kind == "browser" else ctx.api_token_ttl
    session = WebSessions(ctx.store).create(
        user.owner_id,
        security.digest(token),
        kind=kind,
        csrf_token=security.new_token(),
        ttl=ttl,
        second_factor=second_factor,
    )
    return token, session


def step_up(ctx: WebContext, principal: Principal, code: str | None) -> None:
    """Allow a key change only with a second factor proved within the step-up window.

    403 naming ``code`` when 2FA is off (turn it on first) or no fresh factor and no valid code.
    """
    if not principal.totp_enabled:
        raise WebError(403, "code: turn on two-factor authentication before changing API keys", "code")
    at = principal.session.second_factor_at
    if at is not None and utcnow() - at <= ctx.step_up_window:
        return
    user = WebAccounts(ctx.store, ctx.vault).get(principal.owner_id)
    if code and verify_second_factor(ctx, user, code):
        WebSessions(ctx.store).mark_second_factor(principal.session.token_hash)
        return
    raise WebError(403, "code: confirm this change with a current code from your authenticator app", "code")
