"""Sandbox keys for the web tests, as the user would paste them (plain strings)."""

from __future__ import annotations

from typing import Any

from tests.integration.check.support import PASSPHRASE, VENUES, fund, new_key
from tests.support.control import Control
from tradebind.domain.market import Market

HERE = "127.0.0.1"
ELSEWHERE = "127.0.0.2"


def paste(
    control: Control, exchange: str, account: str, permissions: list[str] | None = None, **extra: Any
) -> dict[str, str]:
    """A new sandbox key (Read + spot Trade, locked to 127.0.0.1 unless told) as pasted into tradebind."""
    extra.setdefault("ips", [HERE])
    creds = new_key(control, exchange, account, permissions or VENUES[exchange].trade[Market.SPOT], **extra)
    body = {"exchange": exchange, "api_key": creds.api_key.reveal(), "secret": creds.secret.reveal()}
    if creds.passphrase is not None:
        body["passphrase"] = creds.passphrase.reveal()
    return body


def funded(control: Control, exchange: str, account: str, amount: str = "1500") -> None:
    fund(control, exchange, Market.SPOT, account, amount)


__all__ = ["ELSEWHERE", "HERE", "PASSPHRASE", "funded", "paste"]
