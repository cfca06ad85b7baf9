"""Rendering of the cabinet's pages: the template environment, the signed-in user, CSRF on forms.

Every page renders ``base.html`` with ``principal`` (or ``None``) and ``csrf``: the session's token
when signed in, otherwise a pre-sign-in token kept in its own cookie (double submit), so the
sign-up and sign-in forms are protected too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from tradebind.web import security
from tradebind.web.auth import PRE_CSRF_COOKIE, Principal, ctx_of, page_principal
from tradebind.web.errors import WebError

__all__ = ["TEMPLATES", "LoginRequired", "check_csrf", "page", "render_error", "require_user"]

TEMPLATES = Jinja2Templates(directory=str(resources.files("tradebind.web").joinpath("templates")))

_BADGES = {
    "CONNECTED": "ok",
    "CONNECTED_WITH_WARNINGS": "warn",
    None: "none",
}


def _badge(verdict: str | None) -> str:
    return _BADGES.get(verdict, "bad")


def _when(value: datetime | str | None) -> str:
    if value is None:
        return "never"
    if isinstance(value, str):
        return value
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _amount(value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, ValueError):
        return value


TEMPLATES.env.filters["badge"] = _badge
TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["amount"] = _amount


class LoginRequired(Exception):
    """The page needs a signed-in user; the app answers with a redirect to ``/login``."""


def require_user(request: Request) -> Principal:
    """Dependency of signed-in pages: the user, or a redirect to the sign-in page."""
    principal = page_principal(request)
    if principal is None:
        raise LoginRequired()
    return principal


def _csrf_for(request: Request, principal: Principal | None) -> tuple[str, bool]:
    if principal is not None:
        return principal.csrf, False
    existing = request.cookies.get(PRE_CSRF_COOKIE, "")
    if existing and len(existing) < 100:
        return existing, False
    return security.new_token(), True


def page(
    request: Request, template: str, status: int = 200, principal: Principal | None = None, **context: Any
) -> Response:
    """Render ``template`` with the common context (user, CSRF token, nav, sandbox link)."""
    ctx = ctx_of(request)
    csrf, fresh = _csrf_for(request, principal)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"principal": principal, "csrf": csrf, "sandbox_url": ctx.sandbox_pages_url, **context},
        status_code=status,
    )
    if fresh:
        response.set_cookie(
            PRE_CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=ctx.secure_cookies, path="/"
        )
    return response


def render_error(request: Request, status: int, message: str) -> Response:
    return page(request, "error.html", status, page_principal(request), status_code=status, message=message)


def check_csrf(request: Request, principal: Principal | None, token: str) -> None:
    """403 unless the form's ``csrf`` field matches the session's (or the pre-sign-in cookie's) token."""
    expected = principal.csrf if principal else request.cookies.get(PRE_CSRF_COOKIE, "")
    if not expected or not token or not security.same(token, expected):
        raise WebError(403, "csrf: this form is out of date or came from another site; reload the page", "csrf")
