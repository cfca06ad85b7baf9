"""Pages of the account: sign up, sign in, sign out (here or everywhere), two-factor setup."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from tradebind.store import StoreError
from tradebind.store.web_accounts import WebAccounts, WebSessions
from tradebind.web import security
from tradebind.web.auth import COOKIE, Principal, ctx_of, page_principal, sign_in, start_session, verify_second_factor
from tradebind.web.errors import WebError, from_store
from tradebind.web.pages import check_csrf, page, require_user
from tradebind.web.twofactor import confirm_totp, stage_totp

router = APIRouter(include_in_schema=False)

FormStr = Annotated[str, Form()]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _signed_in(request: Request, token: str) -> Response:
    ctx = ctx_of(request)
    response = RedirectResponse("/keys", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=ctx.secure_cookies,
        max_age=int(ctx.session_ttl.total_seconds()),
        path="/",
    )
    return response


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/keys" if page_principal(request) else "/login", status_code=303)


@router.get("/signup")
def signup_form(request: Request) -> Response:
    if page_principal(request) is not None:
        return RedirectResponse("/keys", status_code=303)
    return page(request, "signup.html", email="")


@router.post("/signup")
def signup(request: Request, email: FormStr = "", password: FormStr = "", csrf: FormStr = "") -> Response:
    check_csrf(request, None, csrf)
    ctx = ctx_of(request)
    email = email.strip().lower()
    problem = None
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        problem = "email: enter an email address like you@example.com"
    else:
        problem = security.check_password_rules(password, email)
    if problem is None:
        try:
            user = WebAccounts(ctx.store, ctx.vault).signup(email, security.hash_password(password))
        except StoreError as exc:
            problem = str(from_store(exc).message)
    if problem is not None:
        return page(request, "signup.html", 422, None, email=email, error=problem)
    token, _ = start_session(ctx, user, kind="browser", second_factor=False)
    return _signed_in(request, token)


@router.get("/login")
def login_form(request: Request) -> Response:
    if page_principal(request) is not None:
        return RedirectResponse("/keys", status_code=303)
    return page(request, "login.html", email="")


@router.post("/login")
def login(
    request: Request, email: FormStr = "", password: FormStr = "", code: FormStr = "", csrf: FormStr = ""
) -> Response:
    check_csrf(request, None, csrf)
    ctx = ctx_of(request)
    try:
        user, second = sign_in(ctx, email, password, code, _client_ip(request))
    except WebError as exc:
        return page(request, "login.html", exc.status, None, email=email, error=exc.message, field=exc.field)
    token, _ = start_session(ctx, user, kind="browser", second_factor=second)
    return _signed_in(request, token)


@router.post("/logout")
def logout(request: Request, csrf: FormStr = "", everywhere: FormStr = "") -> Response:
    principal = page_principal(request)
    if principal is not None:
        check_csrf(request, principal, csrf)
        sessions = WebSessions(ctx_of(request).store)
        if everywhere:
            sessions.end_all(principal.owner_id)
        else:
            sessions.end(principal.session.token_hash)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/security")
def security_page(request: Request, principal: Annotated[Principal, Depends(require_user)]) -> Response:
    ctx = ctx_of(request)
    left = WebAccounts(ctx.store, ctx.vault).recovery_codes_left(principal.owner_id)
    return page(request, "security.html", principal=principal, codes_left=left)


@router.post("/security/2fa/start")
def start_2fa(request: Request, principal: Annotated[Principal, Depends(require_user)], csrf: FormStr = "") -> Response:
    check_csrf(request, principal, csrf)
    secret, uri = stage_totp(ctx_of(request), principal)
    return page(request, "twofactor_setup.html", principal=principal, secret=secret, uri=uri)


@router.post("/security/2fa/confirm")
def confirm_2fa(
    request: Request, principal: Annotated[Principal, Depends(require_user)], code: FormStr = "", csrf: FormStr = ""
) -> Response:
    check_csrf(request, principal, csrf)
    ctx = ctx_of(request)
    try:
        codes = confirm_totp(ctx, principal, code)
    except WebError as exc:
        secret = WebAccounts(ctx.store, ctx.vault).totp_secret(principal.owner_id)
        plain = secret.reveal() if secret else ""
        uri = security.totp_uri(plain, principal.email) if plain else ""
        return page(request, "twofactor_setup.html", exc.status, principal, secret=plain, uri=uri, error=exc.message)
    return page(request, "recovery_codes.html", principal=principal, codes=codes)


@router.post("/security/step-up")
def step_up_page(
    request: Request, principal: Annotated[Principal, Depends(require_user)], code: FormStr = "", csrf: FormStr = ""
) -> Response:
    """Prove a second factor now (e.g. before a series of key changes)."""
    check_csrf(request, principal, csrf)
    ctx = ctx_of(request)
    user = WebAccounts(ctx.store, ctx.vault).get(principal.owner_id)
    if not verify_second_factor(ctx, user, code):
        raise WebError(403, "code: wrong or already used code", "code")
    WebSessions(ctx.store).mark_second_factor(principal.session.token_hash)
    return RedirectResponse("/keys", status_code=303)
