"""The exchange status page: per exchange, reachable / maintenance / error rate as tradebind saw it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from tradebind.web.auth import Principal, ctx_of
from tradebind.web.pages import page, require_user

router = APIRouter(include_in_schema=False)


@router.get("/status")
def status_page(request: Request, principal: Annotated[Principal, Depends(require_user)]) -> Response:
    return page(request, "status.html", principal=principal, states=ctx_of(request).health.states())
