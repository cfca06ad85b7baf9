"""A per-process cache of each owner's encoded key list, validated against the database.

The key list is what programs poll. Its JSON is kept per owner together with the store's
validator (:meth:`BindingCheckRepository.list_version`); a request re-reads the validator (one
small query) and re-encodes the list only when it moved. Correct across processes: the validator
lives in the database, the cache only in this process. Bounded (least recently used goes first).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Encoded", "KeyListCache"]


@dataclass(frozen=True, slots=True)
class Encoded:
    """One owner's key list as JSON, the same gzipped, and its ETag."""

    body: bytes
    gzipped: bytes
    etag: str


class KeyListCache:
    """``owner id -> (validator, Encoded)`` for at most ``size`` owners; thread-safe."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[Any, Encoded]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, owner_id: str, version: Any, build: Callable[[], bytes]) -> Encoded:
        """The encoded list of ``owner_id`` at ``version``; ``build`` encodes it on a miss."""
        with self._lock:
            hit = self._items.get(owner_id)
            if hit is not None and hit[0] == version:
                self._items.move_to_end(owner_id)
                return hit[1]
        body = build()
        # Compressed once per change (the list is ~8x smaller gzipped), not once per request.
        encoded = Encoded(body, gzip.compress(body, compresslevel=5, mtime=0), _etag(body))
        with self._lock:
            self._items[owner_id] = (version, encoded)
            self._items.move_to_end(owner_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return encoded


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
