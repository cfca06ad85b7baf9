"""OKX v5 request authentication: headers, ISO-8601 timestamp window, passphrase, HMAC signature.

Facts (shared/reference/exchanges.md §2.1, https://www.okx.com/docs-v5/en/#overview-rest-authentication):
the signature is ``base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body))`` where
``requestPath`` carries the query string of a GET; the timestamp is ISO-8601 UTC with milliseconds
and must be within 30 s of server time (50102); ``x-simulated-trading: 1`` marks demo trading.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime

from aiohttp import web

from ..core import Account, ApiKey, ErrorKind, SandboxError, Venue
from .wire import client_ip

TIMESTAMP_WINDOW_MS = 30_000
REQUIRED_HEADERS = ("OK-ACCESS-KEY", "OK-ACCESS-SIGN", "OK-ACCESS-TIMESTAMP", "OK-ACCESS-PASSPHRASE")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def sign(secret: str, prehash: str) -> str:
    """OKX's signature of ``prehash`` (timestamp + METHOD + requestPath + body)."""
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def parse_timestamp(value: str) -> int:
    """Milliseconds since the epoch of an OKX timestamp such as ``2020-12-08T09:08:57.715Z``."""
    if not _ISO_MS.match(value):
        raise SandboxError(ErrorKind.BAD_TIMESTAMP)
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise SandboxError(ErrorKind.BAD_TIMESTAMP) from None
    return int(parsed.timestamp() * 1000)


def check_timestamp(value: str, server_ms: int) -> None:
    """Raise unless ``value`` is an OKX timestamp within :data:`TIMESTAMP_WINDOW_MS` of ``server_ms``.

    OKX's window is symmetric: 30 s behind or ahead both fail with 50102 "Timestamp request expired".
    """
    if abs(parse_timestamp(value) - server_ms) > TIMESTAMP_WINDOW_MS:
        raise SandboxError(ErrorKind.TIMESTAMP_OUT_OF_WINDOW)


async def authenticate(venue: Venue, request: web.Request, mount: str) -> tuple[ApiKey, Account]:
    """Check a private request in OKX's order and return its key and account.

    ``mount`` is the prefix the sub-app is served under (``/okx``); clients sign the path as OKX
    sees it, without that prefix.
    """
    headers = request.headers
    for name in REQUIRED_HEADERS:
        if not headers.get(name):
            raise SandboxError(ErrorKind.MISSING_KEY, name)
    timestamp = headers["OK-ACCESS-TIMESTAMP"]
    check_timestamp(timestamp, venue.clock.now_ms())
    api_key = headers["OK-ACCESS-KEY"]
    if not _UUID.match(api_key):
        raise SandboxError(ErrorKind.BAD_KEY_FORMAT)
    path = request.raw_path.removeprefix(mount)
    body = (await request.read()).decode("utf-8", errors="replace")
    prehash = timestamp + request.method.upper() + path + body
    given = headers["OK-ACCESS-SIGN"]

    def signature_ok(key: ApiKey) -> bool:
        return hmac.compare_digest(sign(key.secret, prehash).encode(), given.encode())

    environment = "demo" if headers.get("x-simulated-trading") == "1" else "live"
    return venue.authenticate(
        api_key,
        client_ip(request),
        signature_ok,
        passphrase=headers["OK-ACCESS-PASSPHRASE"],
        environment=environment,
    )
