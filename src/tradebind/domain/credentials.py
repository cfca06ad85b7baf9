"""Credential, binding and bot vocabulary shared by the store, the gateway and the web layer.

Pure types only: no I/O, no database, no secrets in plain text (secret values are
:class:`tradebind.vault.api.SecretValue`, which redacts itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tradebind.domain.market import Market
from tradebind.vault.api import SecretValue

__all__ = [
    "Binding",
    "Bot",
    "BotState",
    "Credential",
    "CredentialVersion",
    "Exchange",
    "OpenedCredential",
    "Owner",
    "ResolvedBinding",
    "mask_key_id",
]


class Exchange(StrEnum):
    """Exchanges whose API keys tradebind accepts."""

    BINANCE = "binance"
    OKX = "okx"
    BYBIT = "bybit"


class BotState(StrEnum):
    """Lifecycle of a bot. Only ``STOPPED`` bots let their binding or credential be deleted."""

    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"


def mask_key_id(key_id: str) -> str:
    """First 4 + last 4 characters of an API key id, the rest elided: ``abcd…wxyz``.

    Ids of 8 characters or fewer are masked entirely: showing "first 4 + last 4" of them would
    show the whole id.
    """
    if len(key_id) <= 8:
        return "…" if key_id else ""
    return f"{key_id[:4]}…{key_id[-4:]}"


@dataclass(frozen=True, slots=True)
class Owner:
    """A user of tradebind; every credential, binding, bot and log entry belongs to one."""

    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Credential:
    """What may be shown about a credential: never its material, only the masked key id."""

    id: str
    owner_id: str
    exchange: Exchange
    label: str
    key_id_masked: str
    version: int
    created_at: datetime
    rotated_at: datetime | None
    last_used_at: datetime | None
    checked_at: datetime | None
    permissions: tuple[str, ...]
    ips: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CredentialVersion:
    """One version of a credential's key material (a replacement creates the next version)."""

    id: str
    credential_id: str
    version: int
    key_id_masked: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OpenedCredential:
    """Decrypted material of the current version, for the gateway and the check only.

    Every field that could sign a request is a :class:`SecretValue`; the repr shows the masked
    key id and nothing else.
    """

    credential_id: str
    version_id: str
    version: int
    exchange: Exchange
    key_id_masked: str
    api_key: SecretValue = field(repr=False)
    secret: SecretValue = field(repr=False)
    passphrase: SecretValue | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class Binding:
    """Credential + market + label: what a bot selects."""

    id: str
    owner_id: str
    credential_id: str
    market: Market
    label: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Bot:
    """A strategy instance on one binding (``binding_id`` is ``None`` once its binding is gone)."""

    id: str
    owner_id: str
    name: str
    binding_id: str | None
    symbol: str
    strategy: str
    params: dict[str, Any]
    state: BotState
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ResolvedBinding:
    """A binding with the credential version it uses right now (what a bot's next request signs with)."""

    binding: Binding
    credential_id: str
    exchange: Exchange
    version: int
    version_id: str
    key_id_masked: str
    # The exchange's id of the key's account, when a check has seen it; None: unknown.
    exchange_account: str | None = None

    @property
    def account_key(self) -> str:
        """The exchange account this binding trades on: the exchange's account id when known,
        else the credential (unknown accounts are kept apart). Keys of one account share its
        rate limits and its futures positions."""
        if self.exchange_account:
            return f"{self.exchange.value}:{self.exchange_account}"
        return f"credential:{self.credential_id}"
