"""Handlers of the API-management pages: server-rendered forms over the same operations as the control API.

Every form posts to a handler here that validates with the control API's own request models and
calls the same operations (:func:`~tradebind.sandbox.control.issue_key` and friends), so the page
and ``/sandbox/v1`` accept and refuse exactly the same input. A new key's secret is rendered once,
in the response to the form that created it, and is never shown again.
"""

from __future__ import annotations

import hmac
import re
import secrets
from importlib import resources
from typing import Any

import jinja2
from aiohttp import web
from multidict import MultiDictProxy
from pydantic import TypeAdapter, ValidationError

from ..control import AccountId, Deposit, FieldError, KeyCreate, balances_view, issue_key, key_views, make_deposit
from ..core import SandboxError, Venue
from ..protocols import ExchangeProtocol
from .help import permission_choices

DEFAULT_ACCOUNT = "demo"
# How the exchanges write their own names in their page headers (title case otherwise).
_DISPLAY_NAMES = {"okx": "OKX"}
_ACCOUNT = TypeAdapter(AccountId)
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("tradebind.sandbox.pages", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_CSS = resources.files("tradebind.sandbox.pages").joinpath("static/style.css").read_bytes()
# The page loads nothing but its own stylesheet and posts only to itself.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class ApiManagementPages:
    """The pages of one exchange, mounted in its sub-application under ``/<exchange>/``."""

    def __init__(self, protocol: ExchangeProtocol, venue: Venue) -> None:
        self._protocol = protocol
        self._venue = venue
        self._base = f"/{protocol.name}"
        # One token per process: a cross-site form cannot read it, so it cannot post here.
        self._csrf = secrets.token_urlsafe(32)

    def routes(self, prefix: str = "") -> list[web.RouteDef]:
        """The page routes, under ``prefix`` when added to the root application."""
        return [
            web.get(f"{prefix}/", self.show),
            web.get(f"{prefix}/api-management/style.css", self.stylesheet),
            web.post(f"{prefix}/api-management/keys", self.create_key),
            web.post(f"{prefix}/api-management/keys/delete", self.delete_key),
            web.post(f"{prefix}/api-management/deposits", self.deposit),
        ]

    # handlers -------------------------------------------------------------------------------

    async def show(self, request: web.Request) -> web.Response:
        account = request.query.get("account", DEFAULT_ACCOUNT)
        try:
            account = _ACCOUNT.validate_python(account)
        except ValidationError:
            return self._render(DEFAULT_ACCOUNT, status=400, error=FieldError("account", "account: not a valid name"))
        return self._render(account)

    async def stylesheet(self, request: web.Request) -> web.Response:
        return web.Response(body=_CSS, content_type="text/css", headers={"Cache-Control": "max-age=3600"})

    async def create_key(self, request: web.Request) -> web.Response:
        form, account = await self._form(request)
        data: dict[str, Any] = {
            "exchange": self._protocol.name,
            "account": account,
            "label": form.get("label", ""),
            "permissions": form.getall("permissions", []),
            "ips": [ip for ip in re.split(r"[\s,]+", str(form.get("ips", ""))) if ip],
        }
        if self._protocol.requires_passphrase:
            data["passphrase"] = form.get("passphrase") or None
        try:
            key = issue_key(self._protocol, self._venue, KeyCreate.model_validate(data))
        except ValidationError as exc:
            return self._render(account, status=422, error=FieldError.from_validation(exc), form=form)
        except FieldError as exc:
            return self._render(account, status=exc.status, error=exc, form=form)
        return self._render(account, status=201, new_key={"api_key": key.api_key, "secret": key.secret})

    async def delete_key(self, request: web.Request) -> web.Response:
        form, account = await self._form(request)
        api_key = str(form.get("api_key", ""))
        key = self._venue.keys.find(api_key)
        if key is None or key.account_id != account:
            return self._render(account, status=404, error=FieldError("api_key", "api_key: no such key"))
        self._venue.keys.delete(api_key)
        return self._render(account, notice=f"Deleted the key labelled {key.label or '(no label)'!r}.")

    async def deposit(self, request: web.Request) -> web.Response:
        form, account = await self._form(request)
        data = {
            "exchange": self._protocol.name,
            "account": account,
            "wallet": form.get("wallet", ""),
            "asset": form.get("asset", ""),
            "amount": form.get("amount", ""),
        }
        try:
            body = Deposit.model_validate(data)
            make_deposit(self._venue, body)
        except ValidationError as exc:
            return self._render(account, status=422, error=FieldError.from_validation(exc))
        except FieldError as exc:
            return self._render(account, status=exc.status, error=exc)
        except SandboxError as exc:
            return self._render(account, status=400, error=FieldError(None, exc.detail or exc.kind.value))
        return self._render(account, notice=f"Deposited {body.amount} {body.asset} into {body.wallet}.")

    # helpers --------------------------------------------------------------------------------

    async def _form(self, request: web.Request) -> tuple[MultiDictProxy[str | bytes | Any], str]:
        """The posted form and its account, after the CSRF check; 4xx pages for either failing."""
        form = await request.post()
        token = str(form.get("csrf", ""))
        if not hmac.compare_digest(token.encode(), self._csrf.encode()):
            raise web.HTTPForbidden(
                text="This form is out of date or came from another site; reload the page and try again.",
                headers=SECURITY_HEADERS,
            )
        try:
            account = _ACCOUNT.validate_python(str(form.get("account", DEFAULT_ACCOUNT)))
        except ValidationError:
            raise web.HTTPBadRequest(
                text="account: not a valid account name (letters, digits, _ . -; sub-accounts as main/sub)",
                headers=SECURITY_HEADERS,
            ) from None
        return form, account

    def _render(
        self,
        account: str,
        *,
        status: int = 200,
        error: FieldError | None = None,
        notice: str | None = None,
        new_key: dict[str, str] | None = None,
        form: MultiDictProxy[str | bytes | Any] | None = None,
    ) -> web.Response:
        # Refill what the person typed after a refusal, except the passphrase.
        refill = {
            "label": str(form.get("label", "")) if form else "",
            "ips": str(form.get("ips", "")) if form else "",
            "permissions": set(map(str, form.getall("permissions", []))) if form else None,
        }
        balances = balances_view(self._venue, account)
        rows = [(w, a, b) for w, assets in balances["wallets"].items() for a, b in assets.items()]
        html = _ENV.get_template("api_management.html").render(
            exchange=_DISPLAY_NAMES.get(self._protocol.name, self._protocol.name.title()),
            base=self._base,
            account=account,
            csrf=self._csrf,
            choices=permission_choices(self._protocol.permission_names),
            requires_passphrase=self._protocol.requires_passphrase,
            keys=key_views(self._protocol, self._venue, account),
            balances=balances,
            balance_rows=rows,
            wallets=self._venue.layout.wallets,
            error=error,
            notice=notice,
            new_key=new_key,
            refill=refill,
        )
        return web.Response(text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS)


def add_pages(app: web.Application, protocol: ExchangeProtocol, venue: Venue) -> ApiManagementPages:
    """Add the exchange's API-management pages at ``/<exchange>/`` of the root application.

    Call it before the exchange's sub-application is mounted: the root router then matches these
    exact paths first, even when a protocol answers every other path under its prefix itself
    (Bybit's catch-all renders its own 404 envelope).
    """
    pages = ApiManagementPages(protocol, venue)
    app.add_routes(pages.routes(f"/{protocol.name}"))
    return pages
