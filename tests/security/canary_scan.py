"""Find planted canary secrets in bytes, in every form a leak might take (pure; used by the leak tests).

Forms (shared/reference/secrets-at-rest.md §11): raw UTF-8; lower- and upper-case hex (pg_dump
writes ``bytea`` as ``\\x...`` hex); base64 and base64url at all three alignments (the stable middle
of each); UTF-16 LE/BE; JSON ``\\u`` escapes. A canary must be at least 24 bytes so every form's
middle stays specific.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MIN_CANARY = 24


@dataclass(frozen=True, slots=True)
class Hit:
    canary: str
    form: str
    where: str


def forms(canary: bytes) -> dict[str, bytes]:
    """Every searchable encoding of ``canary``, keyed by form name."""
    if len(canary) < MIN_CANARY:
        raise ValueError(f"canaries must be at least {MIN_CANARY} bytes")
    found = {"raw": canary, "hex": canary.hex().encode(), "HEX": canary.hex().upper().encode()}
    for offset in range(3):
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            encoded = encode(b"\0" * offset + canary).rstrip(b"=")
            # Drop the first and last 4-character groups: they mix in the neighbouring bytes.
            found[f"{name}@{offset}"] = encoded[4:-4]
    try:
        text = canary.decode()
    except UnicodeDecodeError:
        return found
    found["utf-16-le"] = text.encode("utf-16-le")
    found["utf-16-be"] = text.encode("utf-16-be")
    found["json-u-escaped"] = "".join(f"\\u{ord(c):04x}" for c in text).encode()
    return found


def scan(blobs: Mapping[str, bytes], canaries: Iterable[bytes | str]) -> list[Hit]:
    """Every (canary, form, blob name) where a form of a canary occurs in a blob."""
    hits = []
    for canary in canaries:
        raw = canary.encode() if isinstance(canary, str) else canary
        label = canary if isinstance(canary, str) else f"bytes[{len(canary)}]"
        for form, needle in forms(raw).items():
            for where, blob in blobs.items():
                if needle in blob:
                    hits.append(Hit(label, form, where))
    return hits
