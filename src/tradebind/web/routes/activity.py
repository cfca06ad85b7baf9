"""The activity page: the user's activity log, newest first, optionally for one key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from tradebind.store import ActivityRepository, CredentialRepository
from tradebind.web.auth import Principal, ctx_of
from tradebind.web.pages import page, require_user

router = APIRouter(include_in_schema=False)


@router.get("/activity")
def activity_page(request: Request, principal: Annotated[Principal, Depends(require_user)], key: str = "") -> Response:
    ctx = ctx_of(request)
    log = ActivityRepository(ctx.store, principal.owner_id)
    credentials = CredentialRepository(ctx.store, ctx.vault, principal.owner_id).all()
    known = {c.id for c in credentials}
    chosen = key if key in known else ""
    entries = log.for_credential(chosen, limit=200) if chosen else log.recent(limit=200)
    return page(request, "activity.html", principal=principal, entries=entries, credentials=credentials, key=chosen)
