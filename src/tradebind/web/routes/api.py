"""The JSON API under ``/api/v1``: the same use cases as the pages, for programs.

Authentication: ``POST /api/v1/sessions`` returns a bearer token (shown once); send it as
``Authorization: Bearer <token>``. Adding, replacing or deleting a key needs a second factor
proved within the step-up window: a token obtained with a TOTP code counts, otherwise send a
current code in the ``X-Second-Factor`` header. Errors are ``{"detail": ..., "field": ...}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from tradebind.store import ActivityRepository, BotRepository, StoreError
from tradebind.store.web_accounts import WebAccounts, WebSessions
from tradebind.web import security
from tradebind.web.auth import Principal, api_principal, ctx_of, sign_in, start_session, step_up
from tradebind.web.errors import WebError, from_store
from tradebind.web.keys import AddOutcome, KeyService
from tradebind.web.routes.bots import bot_views
from tradebind.web.twofactor import confirm_totp, stage_totp

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/sessions")


def _user(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    return api_principal(request)


class ErrorBody(BaseModel):
    detail: str
    field: str | None


_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422, 429)}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)
User = Annotated[Principal, Depends(_user)]
BindingId = Annotated[str, Path(max_length=64)]
SecondFactor = Annotated[
    str | None, Header(alias="X-Second-Factor", max_length=32, description="A current TOTP or recovery code")
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignupIn(_In):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    id: str
    email: str
    totp_enabled: bool
    recovery_codes_left: int


class SessionIn(_In):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    code: str = Field(default="", max_length=32, description="TOTP or recovery code (required once 2FA is on)")


class SessionOut(BaseModel):
    token: str
    expires_at: datetime
    second_factor: bool


class TotpSetupOut(BaseModel):
    secret: str
    otpauth_uri: str


class CodeIn(_In):
    code: str = Field(min_length=1, max_length=32)


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class KeyIn(_In):
    exchange: Literal["binance", "okx", "bybit"]
    markets: list[Literal["spot", "futures"]] = Field(min_length=1, max_length=2)
    label: str = Field(min_length=1, max_length=200)
    api_key: str = Field(min_length=1, max_length=4096)
    secret: str = Field(min_length=1, max_length=8192)
    passphrase: str | None = Field(default=None, max_length=256)


class MaterialIn(_In):
    api_key: str = Field(min_length=1, max_length=4096)
    secret: str = Field(min_length=1, max_length=8192)
    passphrase: str | None = Field(default=None, max_length=256)


class KeyItem(BaseModel):
    binding_id: str
    credential_id: str
    exchange: str
    market: str
    label: str
    api_key: str = Field(description="masked: first 4 + last 4 characters")
    verdict: str | None
    available: str | None
    quote: str | None
    bots: int
    last_checked: datetime | None
    last_used: datetime | None


class MarketReportOut(BaseModel):
    market: str
    binding_id: str | None
    report: dict[str, Any]


class KeyChangeOut(BaseModel):
    saved: bool
    credential_id: str | None
    reports: list[MarketReportOut]


class BindingOut(KeyItem):
    last_report: dict[str, Any] | None
    bot_names: list[str]


class BotOut(BaseModel):
    id: str
    name: str
    symbol: str
    strategy: str
    state: str
    binding_id: str | None
    binding_label: str | None
    balance: str | None = Field(description="the binding's available amount at its last check")
    quote: str | None


class ActivityOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    credential_id: str | None
    purpose: str
    result: str
    details: dict[str, Any]


class ExchangeStatusOut(BaseModel):
    exchange: str
    state: str
    checks: int
    error_rate: float
    last_verdict: str | None
    last_seen: datetime | None


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _item(row: Any) -> dict[str, Any]:
    return {
        "binding_id": row.binding_id,
        "credential_id": row.credential_id,
        "exchange": row.exchange,
        "market": row.market,
        "label": row.label,
        "api_key": row.key_id_masked,
        "verdict": row.verdict,
        "available": row.available,
        "quote": row.quote,
        "bots": row.bots,
        "last_checked": row.checked_at,
        "last_used": row.last_used_at,
    }


def _change(outcome: AddOutcome, status: int) -> JSONResponse:
    body = KeyChangeOut(
        saved=outcome.saved,
        credential_id=outcome.credential_id,
        reports=[MarketReportOut(market=r.market, binding_id=r.binding_id, report=r.report) for r in outcome.reports],
    ).model_dump(mode="json")
    if outcome.saved:
        return JSONResponse(body, status_code=status)
    refused = next(r for r in outcome.reports if not r.accepted)
    verdict = refused.report["verdict"]
    detail = f"verdict: {verdict} for {refused.market}; {refused.report['fix']}"
    return JSONResponse({"detail": detail, "field": "verdict", **body}, status_code=422)


# -- accounts and sessions ------------------------------------------------------------------------


@router.post("/users", status_code=201)
def signup(body: SignupIn, request: Request) -> UserOut:
    """Create an account. Sign in with ``POST /sessions`` afterwards."""
    ctx = ctx_of(request)
    email = body.email.strip().lower()
    problem = security.check_password_rules(body.password, email)
    if problem:
        raise WebError(422, problem, "password")
    try:
        user = WebAccounts(ctx.store, ctx.vault).signup(email, security.hash_password(body.password))
    except StoreError as exc:
        raise from_store(exc) from None
    return UserOut(id=user.owner_id, email=user.email, totp_enabled=False, recovery_codes_left=0)


@router.post("/sessions", status_code=201)
def create_session(body: SessionIn, request: Request) -> SessionOut:
    """Sign in: returns a bearer token, shown once. Failed attempts are throttled per email and IP."""
    ctx = ctx_of(request)
    user, second = sign_in(ctx, body.email, body.password, body.code, _client_ip(request))
    token, session = start_session(ctx, user, kind="api", second_factor=second)
    return SessionOut(token=token, expires_at=session.expires_at, second_factor=second)


@router.delete("/sessions/current", status_code=204)
def end_session(principal: User, request: Request) -> Response:
    """Sign out this token."""
    WebSessions(ctx_of(request).store).end(principal.session.token_hash)
    return Response(status_code=204)


@router.delete("/sessions", status_code=204)
def end_all_sessions(principal: User, request: Request) -> Response:
    """Sign out everywhere: every browser session and token of this account."""
    WebSessions(ctx_of(request).store).end_all(principal.owner_id)
    return Response(status_code=204)


@router.get("/me")
def me(principal: User, request: Request) -> UserOut:
    ctx = ctx_of(request)
    left = WebAccounts(ctx.store, ctx.vault).recovery_codes_left(principal.owner_id)
    return UserOut(
        id=principal.owner_id, email=principal.email, totp_enabled=principal.totp_enabled, recovery_codes_left=left
    )


@router.post("/2fa/setup")
def totp_setup(principal: User, request: Request) -> TotpSetupOut:
    """Start two-factor setup: a new TOTP secret for the authenticator app (shown once)."""
    secret, uri = stage_totp(ctx_of(request), principal)
    return TotpSetupOut(secret=secret, otpauth_uri=uri)


@router.post("/2fa/confirm")
def totp_confirm(body: CodeIn, principal: User, request: Request) -> RecoveryCodesOut:
    """Turn two-factor on with a current code; returns single-use recovery codes (shown once)."""
    return RecoveryCodesOut(recovery_codes=confirm_totp(ctx_of(request), principal, body.code))


# -- keys and bindings -----------------------------------------------------------------------------


@router.get("/keys", response_model=list[KeyItem], responses={304: {"description": "Not modified (If-None-Match)"}})
def list_keys(
    principal: User, request: Request, if_none_match: Annotated[str | None, Header(max_length=200)] = None
) -> Response:
    """The bindings with their last check's verdict and available amount (no exchange call).

    Carries an ``ETag``; send it back as ``If-None-Match`` to get ``304`` while nothing changed.
    """
    ctx = ctx_of(request)
    service = KeyService(ctx, principal.owner_id)

    def encode() -> bytes:
        # Straight from the stored rows: at 1,000 bindings, model validation would double the
        # time (bench/api_latency.py); the fields are exactly KeyItem's.
        return orjson.dumps([_item(r) for r in service.key_list()])

    encoded = ctx.key_lists.get(principal.owner_id, service.checks.list_version(), encode)
    headers = {"ETag": encoded.etag, "Vary": "Accept-Encoding"}
    if if_none_match is not None and encoded.etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(encoded.gzipped, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"})
    return Response(encoded.body, media_type="application/json", headers=headers)


@router.post("/keys", status_code=201, response_model=KeyChangeOut)
def add_key(body: KeyIn, principal: User, request: Request, code: SecondFactor = None) -> JSONResponse:
    """Check a key for each market and save it (one binding per market) only if every check accepts it.

    422 with the reports (``field`` = ``verdict``) when a check refuses it: nothing is stored.
    """
    ctx = ctx_of(request)
    step_up(ctx, principal, code)
    outcome = KeyService(ctx, principal.owner_id).add(
        body.exchange, list(body.markets), body.label, body.api_key, body.secret, body.passphrase
    )
    return _change(outcome, 201)


@router.get("/bindings/{binding_id}")
def get_binding(binding_id: BindingId, principal: User, request: Request) -> BindingOut:
    ctx = ctx_of(request)
    service = KeyService(ctx, principal.owner_id)
    row = service.row(binding_id)
    last = service.checks.last(binding_id)
    bots = [b.name for b in BotRepository(ctx.store, principal.owner_id).all(binding_id=binding_id)]
    return BindingOut.model_validate({**_item(row), "last_report": last.report if last else None, "bot_names": bots})


@router.post("/bindings/{binding_id}/check")
def check_binding(binding_id: BindingId, principal: User, request: Request) -> MarketReportOut:
    """Check the binding's key again now and store the report."""
    result = KeyService(ctx_of(request), principal.owner_id).recheck(binding_id)
    return MarketReportOut(market=result.market, binding_id=result.binding_id, report=result.report)


@router.put("/bindings/{binding_id}/key", response_model=KeyChangeOut)
def replace_key(
    binding_id: BindingId, body: MaterialIn, principal: User, request: Request, code: SecondFactor = None
) -> JSONResponse:
    """Replace the key material behind the binding (and its credential's other binding): every bot
    on them uses the new key from its next request. 422 with the reports if the new key is refused."""
    ctx = ctx_of(request)
    service = KeyService(ctx, principal.owner_id)
    service.row(binding_id)
    step_up(ctx, principal, code)
    return _change(service.replace(binding_id, body.api_key, body.secret, body.passphrase), 200)


@router.delete("/bindings/{binding_id}", status_code=204)
def delete_binding(binding_id: BindingId, principal: User, request: Request, code: SecondFactor = None) -> Response:
    """Delete the binding (and its credential when it was the last binding: crypto-shredded).

    409 listing the bots while bots that are not stopped use it.
    """
    ctx = ctx_of(request)
    service = KeyService(ctx, principal.owner_id)
    service.row(binding_id)
    step_up(ctx, principal, code)
    service.delete(binding_id)
    return Response(status_code=204)


# -- bots, activity, exchanges ---------------------------------------------------------------------


@router.get("/bots")
def list_bots(principal: User, request: Request) -> list[BotOut]:
    """Bots with their binding and BALANCE (the binding's available amount at its last check)."""
    return [
        BotOut(
            id=v.id,
            name=v.name,
            symbol=v.symbol,
            strategy=v.strategy,
            state=v.state,
            binding_id=v.binding_id,
            binding_label=v.binding_label,
            balance=v.balance,
            quote=v.quote,
        )
        for v in bot_views(ctx_of(request), principal.owner_id)
    ]


@router.get("/activity")
def activity(
    principal: User,
    request: Request,
    credential_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ActivityOut]:
    """The account's activity log, newest first; ``credential_id`` filters to one key."""
    log = ActivityRepository(ctx_of(request).store, principal.owner_id)
    entries = log.for_credential(credential_id, limit=limit) if credential_id else log.recent(limit=limit)
    return [
        ActivityOut(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            credential_id=e.credential_id,
            purpose=e.purpose,
            result=e.result,
            details=e.details,
        )
        for e in entries
    ]


@router.get("/exchanges/status")
def exchange_status(principal: User, request: Request) -> list[ExchangeStatusOut]:
    """Per exchange: reachable / maintenance / error / unknown, and the error rate of recent checks."""
    return [ExchangeStatusOut.model_validate(s, from_attributes=True) for s in ctx_of(request).health.states()]
