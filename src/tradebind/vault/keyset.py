"""The local key file's content: several KEK versions plus a separate look-up key (pure, no I/O).

Serialised as versioned JSON::

    {"format": "tradebind-keyset", "format_version": 1,
     "current": 2, "retired_through": 0,
     "keks": {"1": "<base64 32 B>", "2": "<base64 32 B>"},
     "lookup_key": "<base64 32 B>"}

``retired_through`` remembers the highest retired version, so a data key wrapped under a retired
version gets a clear :class:`KekVersionRetired` rather than "unknown version"; the retired keys
themselves are deleted from the file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from typing import Any

from tradebind.vault.api import DecryptionFailed, KekVersionRetired, VaultError

FORMAT = "tradebind-keyset"
FORMAT_VERSION = 1
KEY_BYTES = 32


class KeysetFormatError(VaultError):
    """The key file is not a keyset this version understands (messages never quote key bytes)."""


def _new_key() -> bytes:
    return os.urandom(KEY_BYTES)


@dataclass(frozen=True, slots=True)
class Keyset:
    """KEK versions (current + older until retired) and the look-up key. Immutable: every change
    returns a new keyset, so a failed write never leaves a half-changed one in memory."""

    keks: dict[int, bytes] = field(repr=False)
    current: int
    retired_through: int
    lookup_key: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> Keyset:
        """A fresh keyset: KEK version 1 and a look-up key, both from the OS CSPRNG."""
        return cls(keks={1: _new_key()}, current=1, retired_through=0, lookup_key=_new_key())

    def kek(self, version: int) -> bytes:
        """The KEK of ``version``; :class:`KekVersionRetired` if retired, :class:`DecryptionFailed`
        if unknown (a tampered version label or a key file from another installation)."""
        if version <= self.retired_through:
            raise KekVersionRetired(f"KEK version {version} is retired; the data key must be rewrapped")
        try:
            return self.keks[version]
        except KeyError:
            raise DecryptionFailed(f"KEK version {version} is not in the key file") from None

    def rotated(self) -> Keyset:
        """A keyset with a new current version added; older versions stay until retired."""
        version = max(self.keks) + 1
        return Keyset({**self.keks, version: _new_key()}, version, self.retired_through, self.lookup_key)

    def retired(self, version: int) -> Keyset:
        """A keyset without ``version`` and anything older. The current version cannot be retired."""
        if version >= self.current:
            raise VaultError(f"cannot retire KEK version {version}: current is {self.current}; rotate first")
        through = max(version, self.retired_through)
        keks = {v: k for v, k in self.keks.items() if v > through}
        return Keyset(keks, self.current, through, self.lookup_key)

    def to_json(self) -> bytes:
        doc = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "current": self.current,
            "retired_through": self.retired_through,
            "keks": {str(v): base64.b64encode(k).decode() for v, k in sorted(self.keks.items())},
            "lookup_key": base64.b64encode(self.lookup_key).decode(),
        }
        return json.dumps(doc, indent=2).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes) -> Keyset:
        """Parse and validate; :class:`KeysetFormatError` names the broken field, never its value."""
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise KeysetFormatError("key file is not valid JSON") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise KeysetFormatError("key file is not a tradebind keyset")
        if doc.get("format_version") != FORMAT_VERSION:
            raise KeysetFormatError("key file format_version is not supported")
        keks_doc = doc.get("keks")
        if not isinstance(keks_doc, dict) or not keks_doc:
            raise KeysetFormatError("key file field 'keks' is missing or empty")
        keks = {_version(v, "keks"): _key(k, "keks") for v, k in keks_doc.items()}
        current = _version(doc.get("current"), "current")
        retired = doc.get("retired_through")
        if not isinstance(retired, int) or isinstance(retired, bool) or retired < 0:
            raise KeysetFormatError("key file field 'retired_through' is invalid")
        if current not in keks or current <= retired:
            raise KeysetFormatError("key file field 'current' names no live KEK version")
        if any(v <= retired for v in keks):
            raise KeysetFormatError("key file field 'keks' holds a retired version")
        return cls(keks, current, retired, _key(doc.get("lookup_key"), "lookup_key"))


def _version(raw: Any, name: str) -> int:
    try:
        version = int(raw)
    except (TypeError, ValueError):
        raise KeysetFormatError(f"key file field '{name}' has an invalid version") from None
    if version < 1 or isinstance(raw, bool):
        raise KeysetFormatError(f"key file field '{name}' has an invalid version")
    return version


def _key(raw: Any, name: str) -> bytes:
    if not isinstance(raw, str):
        raise KeysetFormatError(f"key file field '{name}' is not a base64 key")
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise KeysetFormatError(f"key file field '{name}' is not a base64 key") from None
    if len(key) != KEY_BYTES:
        raise KeysetFormatError(f"key file field '{name}' must hold {KEY_BYTES}-byte keys")
    return key
