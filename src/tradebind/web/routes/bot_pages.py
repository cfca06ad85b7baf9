"""Bot pages beyond the list: create a DCA bot on a binding, start and stop it, and its detail
page with the binding's BALANCE, its deals (status, average price, filled amount, profit) and
their orders. Parameters are checked by the strategy's own rules; a refusal names the field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from tradebind.bots.position_uses import TRADING, PositionUses
from tradebind.bots.strategies.dca import DcaParams, DcaParamsError
from tradebind.bots.views import summarise
from tradebind.store import ActivityRepository, BindingRepository, BotRepository, NotFound, StoreError
from tradebind.store.deals import DealRepository
from tradebind.web.auth import Principal, ctx_of
from tradebind.web.errors import WebError, from_store
from tradebind.web.pages import check_csrf, page, require_user
from tradebind.web.routes.bots import bot_views

router = APIRouter(include_in_schema=False)

User = Annotated[Principal, Depends(require_user)]
FormStr = Annotated[str, Form()]

# The form's DCA fields, in order, with their defaults (strings: the form echoes them back).
PARAM_FIELDS: dict[str, str] = {
    "base_order_quote": "20",
    "safety_order_quote": "20",
    "max_safety_orders": "3",
    "price_deviation_pct": "1",
    "step_scale": "1",
    "volume_scale": "1",
    "take_profit_pct": "1",
    "stop_loss_pct": "",
    "direction": "long",
    "leverage": "1",
}


def _bindings(request: Request, principal: Principal) -> list[Any]:
    return BindingRepository(ctx_of(request).store, principal.owner_id).all()


def _form(
    request: Request,
    principal: Principal,
    status: int = 200,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    field: str | None = None,
    bot_id: str | None = None,
) -> Response:
    shown = {"name": "", "symbol": "BTC/USDT", "binding_id": "", **PARAM_FIELDS, **(values or {})}
    shown.pop("csrf", None)
    bindings = _bindings(request, principal)
    return page(
        request,
        "bot_new.html",
        status,
        principal,
        bindings=bindings,
        values=shown,
        error=error,
        field=field,
        bot_id=bot_id,
    )


@router.get("/bots/new")
def new_bot_form(request: Request, principal: User) -> Response:
    return _form(request, principal)


@router.post("/bots")
async def create_bot(request: Request, principal: User) -> Response:
    return await _save(request, principal, None)


@router.get("/bots/{bot_id}/edit")
def edit_bot_form(request: Request, principal: User, bot_id: str) -> Response:
    try:
        bot = BotRepository(ctx_of(request).store, principal.owner_id).get(bot_id)
    except NotFound:
        raise WebError(404, "bot not found", "bot_id") from None
    values = {k: str(v) for k, v in bot.params.items() if k in PARAM_FIELDS}
    values.update({"name": bot.name, "symbol": bot.symbol, "binding_id": bot.binding_id or ""})
    return _form(request, principal, values=values, bot_id=bot.id)


@router.post("/bots/{bot_id}")
async def update_bot(request: Request, principal: User, bot_id: str) -> Response:
    return await _save(request, principal, bot_id)


async def _save(request: Request, principal: Principal, bot_id: str | None) -> Response:
    """Create a bot (``bot_id`` None) or change one; a refusal re-shows the form naming the field."""
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, principal, values.get("csrf", ""))
    ctx = ctx_of(request)
    bots = BotRepository(ctx.store, principal.owner_id)
    trading = False  # the bot being changed is running or paused
    if bot_id is not None:
        try:
            trading = bots.get(bot_id).state in TRADING
        except NotFound:
            raise WebError(404, "bot not found", "bot_id") from None
    try:
        binding = BindingRepository(ctx.store, principal.owner_id).get(values.get("binding_id", ""))
    except NotFound:
        error = "binding_id: choose one of your bindings"
        return _form(request, principal, 422, values=values, error=error, field="binding_id", bot_id=bot_id)
    params: dict[str, Any] = {k: values[k] for k in PARAM_FIELDS if values.get(k, "").strip()}
    params["market"] = binding.market.value
    try:
        DcaParams.parse(params)
    except DcaParamsError as exc:
        field, message = exc.problems[0]
        return _form(request, principal, 422, values=values, error=f"{field}: {message}", field=field, bot_id=bot_id)
    name, symbol = values.get("name", ""), values.get("symbol", "")
    try:
        if bot_id is not None and trading:
            conflict = PositionUses(ctx.store, principal.owner_id).conflict(bot_id, name, binding.id, symbol, params)
            if conflict is not None:
                field, message = conflict
                return _form(request, principal, 409, values=values, error=message, field=field, bot_id=bot_id)
        if bot_id is None:
            bot_id = bots.add(name, binding.id, symbol, "dca", params).id
        else:
            bots.configure(bot_id, name=name, binding_id=binding.id, symbol=symbol, params=params)
    except StoreError as exc:
        return _form(request, principal, 422, values=values, error=str(exc), field=exc.field, bot_id=bot_id)
    return RedirectResponse(f"/bots/{bot_id}", status_code=303)


@router.get("/bots/{bot_id}")
def bot_detail(request: Request, principal: User, bot_id: str) -> Response:
    ctx = ctx_of(request)
    try:
        bot = BotRepository(ctx.store, principal.owner_id).get(bot_id)
    except NotFound:
        raise WebError(404, "bot not found", "bot_id") from None
    view = next(v for v in bot_views(ctx, principal.owner_id) if v.id == bot.id)
    deals = [summarise(bot.params, d) for d in DealRepository(ctx.store, principal.owner_id).deals(bot.id)]
    failure = _failure_reason(request, principal, bot.id) if bot.state.value == "failed" else None
    return page(request, "bot_detail.html", principal=principal, bot=bot, view=view, deals=deals, failure=failure)


def _failure_reason(request: Request, principal: Principal, bot_id: str) -> str | None:
    """Why the runner marked the bot failed: the reason of its latest state change in the log."""
    for entry in ActivityRepository(ctx_of(request).store, principal.owner_id).recent(limit=1000):
        if entry.action == "bot.state" and entry.details.get("bot") == bot_id:
            reason = entry.details.get("reason")
            return str(reason) if reason else None
    return None


@router.post("/bots/{bot_id}/start")
def start_bot(request: Request, principal: User, bot_id: str, csrf: FormStr = "") -> Response:
    return _set_state(request, principal, bot_id, "running", csrf)


@router.post("/bots/{bot_id}/stop")
def stop_bot(request: Request, principal: User, bot_id: str, csrf: FormStr = "") -> Response:
    return _set_state(request, principal, bot_id, "stopped", csrf)


def _set_state(request: Request, principal: Principal, bot_id: str, state: str, csrf: str) -> Response:
    check_csrf(request, principal, csrf)
    store = ctx_of(request).store
    repo = BotRepository(store, principal.owner_id)
    try:
        bot = repo.get(bot_id)
        if state == "running":
            DcaParams.parse(bot.params)
            if bot.binding_id is not None:
                uses = PositionUses(store, principal.owner_id)
                conflict = uses.conflict(bot.id, bot.name, bot.binding_id, bot.symbol, bot.params)
                if conflict is not None:
                    raise WebError(409, conflict[1], conflict[0])
        repo.set_state(bot_id, state)
    except NotFound:
        raise WebError(404, "bot not found", "bot_id") from None
    except DcaParamsError as exc:
        field, message = exc.problems[0]
        raise WebError(422, f"params.{field}: {message}", f"params.{field}") from None
    except StoreError as exc:
        raise from_store(exc) from None
    return RedirectResponse(f"/bots/{bot_id}", status_code=303)
