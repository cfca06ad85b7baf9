"""Pages of API keys: the key list, adding a key (check first, report after), a binding's detail
with re-check, replace and delete, all through :class:`~tradebind.web.keys.KeyService`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from tradebind.domain.credentials import Exchange
from tradebind.store import ActivityRepository, BotRepository
from tradebind.web.auth import Principal, ctx_of, step_up
from tradebind.web.errors import WebError
from tradebind.web.keys import KeyService
from tradebind.web.pages import check_csrf, page, require_user

router = APIRouter(include_in_schema=False)

User = Annotated[Principal, Depends(require_user)]
FormStr = Annotated[str, Form()]

EXCHANGES = [
    {"id": "binance", "name": "Binance", "passphrase": False},
    {"id": "okx", "name": "OKX", "passphrase": True},
    {"id": "bybit", "name": "Bybit", "passphrase": False},
]


def _step_up_fresh(request: Request, principal: Principal) -> bool:
    from tradebind.store.tables import utcnow

    at = principal.session.second_factor_at
    return at is not None and utcnow() - at <= ctx_of(request).step_up_window


def _form_page(request: Request, principal: Principal, status: int = 200, **context: object) -> Response:
    defaults: dict[str, object] = {
        "exchange": "binance",
        "markets": ["spot"],
        "label": "",
        "error": None,
        "field": None,
    }
    defaults.update(context)
    return page(
        request,
        "key_add.html",
        status,
        principal,
        exchanges=EXCHANGES,
        egress_ips=ctx_of(request).policy.egress_ips,
        step_up_fresh=_step_up_fresh(request, principal),
        **defaults,
    )


@router.get("/keys")
def key_list(request: Request, principal: User) -> Response:
    rows = KeyService(ctx_of(request), principal.owner_id).key_list()
    return page(request, "keys.html", principal=principal, rows=rows, egress_ips=ctx_of(request).policy.egress_ips)


@router.get("/keys/new")
def add_form(request: Request, principal: User, exchange: str = "binance") -> Response:
    chosen = exchange if exchange in {e.value for e in Exchange} else "binance"
    return _form_page(request, principal, exchange=chosen)


@router.post("/keys")
def add_key(
    request: Request,
    principal: User,
    exchange: FormStr = "",
    label: FormStr = "",
    api_key: FormStr = "",
    secret: FormStr = "",
    passphrase: FormStr = "",
    code: FormStr = "",
    csrf: FormStr = "",
    markets: Annotated[list[str] | None, Form()] = None,
) -> Response:
    check_csrf(request, principal, csrf)
    ctx = ctx_of(request)
    chosen = markets or []
    try:
        step_up(ctx, principal, code)
        needs_phrase = any(e["id"] == exchange and e["passphrase"] for e in EXCHANGES)
        outcome = KeyService(ctx, principal.owner_id).add(
            exchange, chosen, label, api_key, secret, passphrase if needs_phrase else None
        )
    except WebError as exc:
        if exc.status == 404:
            raise
        return _form_page(
            request,
            principal,
            exc.status,
            exchange=exchange,
            markets=chosen,
            label=label,
            error=exc.message,
            field=exc.field,
        )
    if not outcome.saved:
        return _form_page(
            request,
            principal,
            422,
            exchange=exchange,
            markets=chosen,
            label=label,
            reports=outcome.reports,
            error="The key was not saved: fix it on the exchange as the report says, then paste it again.",
            field="verdict",
        )
    return page(request, "key_saved.html", 201, principal, reports=outcome.reports, egress_ips=ctx.policy.egress_ips)


def _detail(request: Request, principal: Principal, binding_id: str, status: int = 200, **context: object) -> Response:
    ctx = ctx_of(request)
    service = KeyService(ctx, principal.owner_id)
    row = service.row(binding_id)
    last = service.checks.last(binding_id)
    bots = BotRepository(ctx.store, principal.owner_id).all(binding_id=binding_id)
    entries = ActivityRepository(ctx.store, principal.owner_id).for_credential(row.credential_id, limit=50)
    defaults: dict[str, object] = {"error": None, "field": None, "reports": None, "notice": None}
    defaults.update(context)
    return page(
        request,
        "binding.html",
        status,
        principal,
        row=row,
        report=last.report if last else None,
        bots=bots,
        entries=entries,
        egress_ips=ctx.policy.egress_ips,
        passphrase=row.exchange == "okx",
        step_up_fresh=_step_up_fresh(request, principal),
        **defaults,
    )


@router.get("/bindings/{binding_id}")
def binding_detail(request: Request, principal: User, binding_id: str) -> Response:
    return _detail(request, principal, binding_id)


@router.post("/bindings/{binding_id}/check")
def recheck(request: Request, principal: User, binding_id: str, csrf: FormStr = "") -> Response:
    check_csrf(request, principal, csrf)
    KeyService(ctx_of(request), principal.owner_id).recheck(binding_id)
    return RedirectResponse(f"/bindings/{binding_id}", status_code=303)


@router.post("/bindings/{binding_id}/replace")
def replace_key(
    request: Request,
    principal: User,
    binding_id: str,
    api_key: FormStr = "",
    secret: FormStr = "",
    passphrase: FormStr = "",
    code: FormStr = "",
    csrf: FormStr = "",
) -> Response:
    check_csrf(request, principal, csrf)
    ctx = ctx_of(request)
    service = KeyService(ctx, principal.owner_id)
    service.row(binding_id)  # 404 before anything else for another owner's id
    try:
        step_up(ctx, principal, code)
        outcome = service.replace(binding_id, api_key, secret, passphrase or None)
    except WebError as exc:
        if exc.status == 404:
            raise
        return _detail(request, principal, binding_id, exc.status, error=exc.message, field=exc.field)
    if not outcome.saved:
        return _detail(
            request,
            principal,
            binding_id,
            422,
            reports=outcome.reports,
            field="verdict",
            error="The new key was not saved; the binding keeps its current key. Fix the new key as the report says.",
        )
    return _detail(
        request, principal, binding_id, notice="Key replaced. Every bot on this binding now uses the new key."
    )


@router.post("/bindings/{binding_id}/delete")
def delete_binding(
    request: Request, principal: User, binding_id: str, code: FormStr = "", csrf: FormStr = ""
) -> Response:
    check_csrf(request, principal, csrf)
    ctx = ctx_of(request)
    service = KeyService(ctx, principal.owner_id)
    service.row(binding_id)
    try:
        step_up(ctx, principal, code)
        service.delete(binding_id)
    except WebError as exc:
        if exc.status == 404:
            raise
        return _detail(request, principal, binding_id, exc.status, error=exc.message, field=exc.field)
    return RedirectResponse("/keys", status_code=303)
