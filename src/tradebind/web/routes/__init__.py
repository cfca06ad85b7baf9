"""The app's routers, one per page family plus the JSON API. A new page family adds its router here."""

from fastapi import APIRouter

from tradebind.web.routes.account import router as account_router
from tradebind.web.routes.activity import router as activity_router
from tradebind.web.routes.api import router as api_router
from tradebind.web.routes.bot_pages import router as bot_pages_router
from tradebind.web.routes.bots import router as bots_router
from tradebind.web.routes.keys import router as keys_router
from tradebind.web.routes.status import router as status_router

ROUTERS: list[APIRouter] = [
    account_router,
    keys_router,
    bots_router,
    bot_pages_router,
    activity_router,
    status_router,
    api_router,
]

__all__ = ["ROUTERS"]
