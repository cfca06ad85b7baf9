"""The web app: server-rendered cabinet pages and the JSON API under ``/api/v1`` in one FastAPI app.

``create_app(ctx)`` wires the routers (one per page family, plus the API), the static files, the
security headers on every response, and the error handlers: every refusal is a 4xx whose message
names the field at fault; an unexpected error is a plain 500 without a traceback.
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradebind.web.context import WebContext
from tradebind.web.errors import WebError
from tradebind.web.pages import LoginRequired, render_error
from tradebind.web.security import SECURITY_HEADERS

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or (str(loc[-1]) if loc else "body")


def create_app(ctx: WebContext) -> FastAPI:
    """A new app serving ``ctx``'s store. Routers register in :mod:`tradebind.web.routes`."""
    from tradebind.web.routes import ROUTERS

    app = FastAPI(
        title="tradebind",
        version="1",
        summary="Connect trading bots to exchange accounts through API keys, safely.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ctx = ctx
    static = resources.files("tradebind.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(SecurityHeaders)
    _install_error_handlers(app)
    return app


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers (and ``no-store`` outside ``/static/``) to
    every response. Not ``BaseHTTPMiddleware``: that re-streams each body through a task, which
    costs milliseconds on the 350 kB key list (bench/api_latency.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self._headers if k not in present]
                if path == "/api/docs":
                    # Swagger UI needs its CDN script and an inline bootstrap; only this page relaxes the CSP.
                    extra = [(k, v) for k, v in extra if k != b"content-security-policy"]
                if not path.startswith("/static/") and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        if _is_api(request):
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            if "retry_after" in exc.extra:
                headers = {"Retry-After": str(exc.extra["retry_after"])}
            return JSONResponse(
                {"detail": exc.message, "field": exc.field, **exc.extra}, status_code=exc.status, headers=headers
            )
        return render_error(request, exc.status, exc.message)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _field_of(e.get("loc", ())), "message": f"{_field_of(e.get('loc', ()))}: {e.get('msg', '')}"}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "body", "message": "body: invalid request"}
        if not _is_api(request):
            return render_error(request, 422, first["message"])
        return JSONResponse({"detail": first["message"], "field": first["field"], "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail)
        if _is_api(request) or request.url.path.startswith("/static/"):
            return JSONResponse({"detail": message, "field": None}, status_code=exc.status_code, headers=exc.headers)
        return render_error(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Log the type only: exception text from deep inside a library might quote input.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return JSONResponse({"detail": "internal error", "field": None}, status_code=500)
