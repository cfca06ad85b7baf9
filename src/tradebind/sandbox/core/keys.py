"""API keys as the exchange holds them: material, owner account, permissions, IP list, expiry."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .errors import ErrorKind, SandboxError
from .permissions import Permission


@dataclass(slots=True)
class ApiKey:
    """One API key. ``secret`` and ``passphrase`` never leave the sandbox after creation."""

    api_key: str
    secret: str = field(repr=False)
    account_id: str
    label: str
    permissions: frozenset[Permission]
    ips: tuple[str, ...] = ()
    expires_at: datetime | None = None
    passphrase: str | None = field(default=None, repr=False)
    environment: str = "live"
    created_ms: int = 0

    def allows_ip(self, client_ip: str) -> bool:
        """True when the key has no IP list or ``client_ip`` is on it (entries may be CIDRs)."""
        if not self.ips:
            return True
        try:
            addr = ipaddress.ip_address(client_ip)
        except ValueError:
            return False
        return any(addr in ipaddress.ip_network(entry, strict=False) for entry in self.ips)

    def expired(self, now_ms: int) -> bool:
        return self.expires_at is not None and self.expires_at.timestamp() * 1000 <= now_ms

    def passphrase_matches(self, given: str | None) -> bool:
        if self.passphrase is None:
            return True
        return given is not None and hmac.compare_digest(self.passphrase.encode(), given.encode())

    def public_view(self) -> dict[str, object]:
        """Everything about the key except its secret and passphrase."""
        return {
            "api_key": self.api_key,
            "account": self.account_id,
            "label": self.label,
            "permissions": sorted(p.value for p in self.permissions),
            "ips": list(self.ips),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "environment": self.environment,
            "created_ms": self.created_ms,
        }


class KeyRing:
    """The keys of one venue, looked up by their public id."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}

    def add(self, key: ApiKey) -> None:
        if key.api_key in self._keys:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "api key already exists")
        self._keys[key.api_key] = key

    def find(self, api_key: str) -> ApiKey | None:
        return self._keys.get(api_key)

    def delete(self, api_key: str) -> None:
        if self._keys.pop(api_key, None) is None:
            raise SandboxError(ErrorKind.NOT_FOUND, "no such api key")

    def of_account(self, account_id: str | None = None) -> list[ApiKey]:
        return [k for k in self._keys.values() if account_id is None or k.account_id == account_id]

    def all(self) -> Iterable[ApiKey]:
        return self._keys.values()
