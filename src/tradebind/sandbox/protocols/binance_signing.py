"""Binance request signing and timing security, as the server checks them. Pure: no I/O.

Facts (shared/reference/exchanges.md §1.1, Binance spot rest-api.md "SIGNED Endpoint Examples"):
the HMAC-SHA256 signature is hex over the query string concatenated *without separator* to the
request body, exactly as received (non-ASCII already percent-encoded by the client); the
``signature`` parameter itself is not part of the payload; HMAC hex is not case-sensitive.
Timing: ``timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow``, recvWindow
default 5000, max 60000.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from ..core import ErrorKind, SandboxError

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
MAX_AHEAD_MS = 1000


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a signed request carries: the signed payload, the signature given, and all params.

    ``params`` merges query and body; a name present in both takes the query-string value
    (Binance: "if a parameter sent in both the query string and request body, the query string
    parameter will be used").
    """

    payload: str
    signature: str | None
    params: dict[str, str]


def _without_signature(raw: str) -> tuple[str, str | None]:
    """``raw`` with its ``signature=...`` part removed, and the signature's value."""
    kept: list[str] = []
    signature: str | None = None
    for part in raw.split("&") if raw else []:
        name, _, value = part.partition("=")
        if name == "signature":
            signature = value
        else:
            kept.append(part)
    return "&".join(kept), signature


def parse_signed(raw_query: str, raw_body: str) -> SignedRequest:
    """Split a request's raw query string and form body into payload, signature and params."""
    query, query_sig = _without_signature(raw_query)
    body, body_sig = _without_signature(raw_body)
    params = dict(parse_qsl(body, keep_blank_values=True))
    params.update(parse_qsl(query, keep_blank_values=True))
    return SignedRequest(payload=query + body, signature=query_sig or body_sig, params=params)


def parse_unsigned(raw_query: str, raw_body: str) -> dict[str, str]:
    """Params of a request that carries no signature (query wins over body)."""
    params = dict(parse_qsl(raw_body, keep_blank_values=True))
    params.update(parse_qsl(raw_query, keep_blank_values=True))
    return params


def hmac_signature(secret: str, payload: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``payload`` keyed with ``secret``."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signature_matches(secret: str, payload: str, signature: str) -> bool:
    """Constant-time check; HMAC signatures are accepted in either letter case."""
    return hmac.compare_digest(hmac_signature(secret, payload), signature.lower())


def _number(params: dict[str, str], name: str) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SandboxError(ErrorKind.BAD_PARAMETER, name) from None
    if not value.is_finite():
        raise SandboxError(ErrorKind.BAD_PARAMETER, name)
    return value


def check_timing(params: dict[str, str], server_ms: int) -> None:
    """Raise unless ``timestamp`` and ``recvWindow`` pass Binance's timing security.

    ``BAD_TIMESTAMP`` for a missing or malformed timestamp (-1102 / -1100), ``BAD_PARAMETER``
    for a recvWindow above 60000, ``TIMESTAMP_OUT_OF_WINDOW`` with detail ``ahead`` or ``window``.
    Spot also accepts microsecond timestamps (16 digits); they are scaled to milliseconds.
    """
    if "timestamp" not in params or params["timestamp"] == "":
        raise SandboxError(ErrorKind.BAD_TIMESTAMP, "timestamp")
    stamp = _number(params, "timestamp")
    if stamp is None or stamp != stamp.to_integral_value() or stamp <= 0:
        raise SandboxError(ErrorKind.BAD_PARAMETER, "timestamp")
    if stamp >= 10**15:
        stamp = stamp / 1000
    window = _number(params, "recvWindow")
    if window is None:
        window = Decimal(DEFAULT_RECV_WINDOW_MS)
    if window <= 0 or window > MAX_RECV_WINDOW_MS:
        raise SandboxError(ErrorKind.BAD_PARAMETER, "recvWindow")
    if stamp >= server_ms + MAX_AHEAD_MS:
        raise SandboxError(ErrorKind.TIMESTAMP_OUT_OF_WINDOW, "ahead")
    if server_ms - stamp > window:
        raise SandboxError(ErrorKind.TIMESTAMP_OUT_OF_WINDOW, "window")
