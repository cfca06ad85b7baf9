"""Canonical, unambiguous byte encodings for associated data and wrap contexts."""

from __future__ import annotations


def length_prefixed(*parts: bytes) -> bytes:
    """Each part preceded by its 4-byte big-endian length, so ("ab", "c") != ("a", "bc").

    Plain concatenation would let two different contexts encode to the same AAD (moto's KMS
    context encoding has exactly that flaw, see shared/reference/secrets-at-rest.md A2).
    """
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)
