"""Shared steps of the sandbox-around-the-protocols tests: keys that trade, ccxt credentials."""

from __future__ import annotations

from typing import Any

from tests.support.control import Control
from tradebind.sandbox.core import Permission
from tradebind.sandbox.protocols import PROTOCOLS

EXCHANGES = sorted(PROTOCOLS)
PASSPHRASE = "Sandbox-Pass-1"
_TRADING = {Permission.READ, Permission.SPOT_TRADE, Permission.FUTURES_TRADE}


def key_extras(exchange: str) -> dict[str, Any]:
    """What a key of ``exchange`` needs besides its permissions (OKX: a passphrase)."""
    return {"passphrase": PASSPHRASE} if PROTOCOLS[exchange].requires_passphrase else {}


def trading_permissions(exchange: str) -> list[str]:
    """The exchange's own names for read + spot + futures trading, and nothing riskier."""
    names = PROTOCOLS[exchange].permission_names
    return [n for n, grants in names.items() if grants & _TRADING and not grants & {Permission.WITHDRAW}]


def ccxt_credentials(exchange: str, created: dict[str, str]) -> dict[str, str]:
    creds = {"apiKey": created["api_key"], "secret": created["secret"]}
    if PROTOCOLS[exchange].requires_passphrase:
        creds["password"] = PASSPHRASE
    return creds


def trading_key(control: Control, exchange: str, account: str) -> dict[str, str]:
    """A new trading key of ``account``, as ccxt credentials."""
    created = control.create_key(exchange, account, trading_permissions(exchange), **key_extras(exchange))
    return ccxt_credentials(exchange, created)
