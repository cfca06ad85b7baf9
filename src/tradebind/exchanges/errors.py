"""Turning what ccxt raised into a verdict: the shared table format and the ccxt-class fallback.

Each exchange module declares one :class:`ErrorTable`: the exchange's error codes (and, where
ccxt raises with the message only, exact messages) mapped to a :class:`Verdict`, or to ``None``
for a code the exchange uses for several causes (Binance -2015), which the adapter resolves with
further calls. Codes are read from the response body ccxt puts in the exception text; when there
is none, the ccxt exception class decides (error tree in exchanges.md §1.7: ccxt 4.5.90).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp
import ccxt.async_support as ccxt

from ..domain.verdicts import Verdict

# Most specific class first: the tree nests (OnMaintenance < ExchangeNotAvailable < NetworkError).
_BY_CLASS: tuple[tuple[type[Exception], Verdict], ...] = (
    (ccxt.InvalidNonce, Verdict.CLOCK_SKEW),
    (ccxt.OnMaintenance, Verdict.EXCHANGE_UNAVAILABLE),
    (ccxt.RateLimitExceeded, Verdict.RATE_LIMITED),
    (ccxt.DDoSProtection, Verdict.RATE_LIMITED),
    (ccxt.ExchangeNotAvailable, Verdict.EXCHANGE_UNAVAILABLE),
    (ccxt.RequestTimeout, Verdict.NETWORK_ERROR),
    (ccxt.NetworkError, Verdict.NETWORK_ERROR),
    (ccxt.AccountSuspended, Verdict.ACCOUNT_RESTRICTED),
    (ccxt.PermissionDenied, Verdict.MISSING_PERMISSION),
    (ccxt.AuthenticationError, Verdict.INVALID_KEY),
)


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed exchange call, classified.

    ``verdict`` is ``None`` when the exchange's answer does not say which verdict applies (the
    adapter resolves it); ``code`` and ``message`` are the exchange's own, for the evidence.
    """

    verdict: Verdict | None
    code: str | None
    message: str

    @property
    def clock(self) -> bool:
        return self.verdict is Verdict.CLOCK_SKEW


@dataclass(frozen=True, slots=True)
class ErrorTable:
    """One exchange's error codes and messages → verdicts.

    ``code_fields``: where the code sits in the error body, in order (OKX puts per-item ``sCode``
    under ``data``; the top-level field is tried last).
    """

    code_fields: tuple[str, ...]
    codes: Mapping[str, Verdict | None]
    messages: Mapping[str, Verdict | None] = field(default_factory=dict)

    def classify(self, exc: Exception) -> Failure:
        """The verdict for ``exc``: by code, then by message, then by ccxt's class."""
        text = str(exc)
        body = _body_of(text)
        code = self._code_in(body) if body is not None else None
        message = _message_in(body) if body is not None else _strip_exchange_id(text)
        if code is not None and code in self.codes:
            return Failure(self.codes[code], code, message)
        if _network_cause(exc):
            return Failure(Verdict.NETWORK_ERROR, None, message)
        for fragment, verdict in self.messages.items():
            if fragment in text:
                return Failure(verdict, code, message)
        for cls, verdict in _BY_CLASS:
            if isinstance(exc, cls):
                return Failure(verdict, code, message)
        if isinstance(exc, ccxt.BaseError):
            return Failure(Verdict.EXCHANGE_UNAVAILABLE, code, message)
        return Failure(Verdict.NETWORK_ERROR, code, message or type(exc).__name__)

    def _code_in(self, body: Mapping[str, object]) -> str | None:
        for name in self.code_fields:
            data = body.get("data")
            items = data if isinstance(data, list) else []
            for item in items:
                if isinstance(item, dict) and item.get(name) not in (None, "", "0", 0):
                    return str(item[name])
            value = body.get(name)
            if value not in (None, ""):
                return str(value)
        return None


# ccxt raises ExchangeNotAvailable both for an HTTP 5xx and for a connection it could not make
# (``raise ... from e`` in async_support/base/exchange.py fetch); the cause tells them apart.
_NETWORK_CAUSES = (aiohttp.ClientConnectionError, socket.gaierror, asyncio.TimeoutError, ConnectionError)


def _network_cause(exc: BaseException) -> bool:
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, _NETWORK_CAUSES):
            return True
        cause = cause.__cause__
    return isinstance(exc, _NETWORK_CAUSES)


def _body_of(text: str) -> dict[str, object] | None:
    # ccxt raises ``"<id> <body>"`` (or ``"<id> <status> <reason> <body>"``) for coded errors.
    start = text.find("{")
    if start < 0:
        return None
    try:
        body = json.loads(text[start:])
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _message_in(body: Mapping[str, object]) -> str:
    for name in ("msg", "retMsg", "message"):
        value = body.get(name)
        if isinstance(value, str) and value:
            data = body.get("data")
            if isinstance(data, list) and data and isinstance(data[0], dict) and data[0].get("sMsg"):
                return str(data[0]["sMsg"])
            return value
    return ""


def _strip_exchange_id(text: str) -> str:
    head, _, rest = text.partition(" ")
    return rest if rest and head.isalpha() and head.islower() else text
