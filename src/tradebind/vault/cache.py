"""A short-lived cache of unwrapped data keys, so the signing path skips the KEK provider.

The cache sits behind :class:`DekCache` so a shared implementation (e.g. one that broadcasts
``forget`` to every worker) can replace the in-process one without touching the vault. Entries are
looked up by ``cache_id`` (the wrapped-key row id) *and* a fingerprint of the wrapped key plus its
owner context: a caller presenting another owner's context, or a different wrapped key under a
reused id, misses and goes to the provider, which then refuses it.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class DekCache(Protocol):
    """Where unwrapped data keys wait for their next use. Implementations bound size and age."""

    def get(self, cache_id: str, fingerprint: bytes) -> bytes | None:
        """The DEK stored for ``cache_id`` if its fingerprint matches and it has not expired."""
        ...

    def put(self, cache_id: str, fingerprint: bytes, dek: bytes) -> None: ...

    def forget(self, cache_id: str) -> None:
        """Drop ``cache_id`` now (its credential was replaced or deleted)."""
        ...

    def clear(self) -> None:
        """Drop everything (e.g. after a KEK version was retired)."""
        ...


@dataclass(slots=True)
class _Entry:
    fingerprint: bytes
    dek: bytes = field(repr=False)
    expires: float


class TtlDekCache:
    """In-process LRU of at most ``max_entries`` DEKs, each kept for at most ``ttl_seconds``.

    ``clock`` is a monotonic clock in seconds (injectable so tests can age entries without
    sleeping). Thread-safe.
    """

    def __init__(
        self, *, ttl_seconds: float = 30.0, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TtlDekCache(ttl_seconds={self._ttl}, max_entries={self._max}, size={len(self)})"

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, cache_id: str, fingerprint: bytes) -> bytes | None:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(cache_id)
            if entry is None:
                return None
            if entry.expires <= now:
                del self._entries[cache_id]
                return None
            if not hmac.compare_digest(entry.fingerprint, fingerprint):
                return None
            self._entries.move_to_end(cache_id)
            return entry.dek

    def put(self, cache_id: str, fingerprint: bytes, dek: bytes) -> None:
        expires = self._clock() + self._ttl
        with self._lock:
            self._entries[cache_id] = _Entry(fingerprint, dek, expires)
            self._entries.move_to_end(cache_id)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def forget(self, cache_id: str) -> None:
        with self._lock:
            self._entries.pop(cache_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class NoDekCache:
    """Caches nothing: every open goes to the KEK provider (for strict deployments and tests)."""

    def get(self, cache_id: str, fingerprint: bytes) -> bytes | None:
        return None

    def put(self, cache_id: str, fingerprint: bytes, dek: bytes) -> None:
        return None

    def forget(self, cache_id: str) -> None:
        return None

    def clear(self) -> None:
        return None
