"""The bots page: each bot with its binding and BALANCE (the binding's available amount, last check).

The bots engineer extends this family (start/stop, create); the view rows come from
:func:`bot_views`, shared with the JSON API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from tradebind.store import BotRepository
from tradebind.store.binding_checks import BindingCheckRepository
from tradebind.web.auth import Principal, ctx_of
from tradebind.web.context import WebContext
from tradebind.web.pages import page, require_user

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class BotView:
    """A bot as the cabinet shows it: its binding (label, exchange, market) and that binding's balance."""

    id: str
    name: str
    symbol: str
    strategy: str
    state: str
    binding_id: str | None
    binding_label: str | None
    exchange: str | None
    market: str | None
    balance: str | None
    quote: str | None
    verdict: str | None


def bot_views(ctx: WebContext, owner_id: str) -> list[BotView]:
    bindings = {r.binding_id: r for r in BindingCheckRepository(ctx.store, owner_id).key_list()}
    views = []
    for bot in BotRepository(ctx.store, owner_id).all():
        b = bindings.get(bot.binding_id) if bot.binding_id else None
        views.append(
            BotView(
                bot.id,
                bot.name,
                bot.symbol,
                bot.strategy,
                bot.state.value,
                bot.binding_id,
                b.label if b else None,
                b.exchange if b else None,
                b.market if b else None,
                b.available if b else None,
                b.quote if b else None,
                b.verdict if b else None,
            )
        )
    return views


@router.get("/bots")
def bots_page(request: Request, principal: Annotated[Principal, Depends(require_user)]) -> Response:
    return page(request, "bots.html", principal=principal, bots=bot_views(ctx_of(request), principal.owner_id))
