"""The vault's contract: what the store and the gateway may rely on. Implementations live beside it.

Envelope encryption (see shared/reference/secrets-at-rest.md): every secret value gets its own
random AES-256-GCM data key (DEK); the DEK is wrapped by a key-encryption key (KEK) held by a
:class:`KekProvider` (a local key file, or OpenBao/Vault transit). The store keeps, per value, the
payload ciphertext and a reference to a row holding the wrapped DEK; deleting that row destroys
the value for good (crypto-shredding). KEK rotation rewraps DEKs and never touches payloads.

Associated data (:class:`Aad`) binds each payload ciphertext to its owner, record and field, so a
ciphertext copied to another row, owner or field fails to decrypt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn, Protocol

from tradebind.vault.encoding import length_prefixed


class VaultError(Exception):
    """A secret operation failed. Messages never contain key material."""


class KekUnavailable(VaultError):
    """The KEK provider cannot be reached or refused: every secret operation fails closed."""


class DecryptionFailed(VaultError):
    """Ciphertext, wrapped key or associated data do not match (tampering, swapped rows)."""


class KekVersionRetired(DecryptionFailed):
    """The data key was wrapped under a KEK version that has been retired: rewrap before retiring."""


class InsecureKeyFile(KekUnavailable):
    """The local key file is readable or writable by group/other, or not a regular file we own."""


class SecretValue:
    """Decrypted material that will not show itself by accident.

    ``repr``/``str``/``format`` give ``<redacted>``; pickling and copying to a plain ``str`` by
    accident are refused; only :meth:`reveal` returns the text, and only the gateway and the
    check call it, right before signing.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretValue(<redacted>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        import hmac

        return isinstance(other, SecretValue) and hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        raise TypeError("SecretValue is not hashable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("SecretValue cannot be pickled")

    def __len__(self) -> int:
        return len(self._value)


@dataclass(frozen=True, slots=True)
class Aad:
    """Associated data of one secret value: whose, which record, which field.

    ``encode()`` is canonical and unambiguous (length-prefixed), so ("ab", "c") != ("a", "bc").
    """

    owner: str
    record: str
    field: str

    def encode(self) -> bytes:
        return length_prefixed(b"tradebind/v1", self.owner.encode(), self.record.encode(), self.field.encode())


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A DEK wrapped by a KEK: which provider and KEK version, and the provider's opaque blob."""

    provider: str
    kek_version: int
    blob: bytes


@dataclass(frozen=True, slots=True)
class SealedValue:
    """What the store persists for one secret value: payload ciphertext (nonce + GCM output) and
    the wrapped DEK (stored in its own row so deleting that row shreds the value)."""

    ciphertext: bytes
    wrapped_key: WrappedKey


class KekProvider(Protocol):
    """Holds the KEK; never hands it out. ``context`` binds a wrap to its owner (derived keys)."""

    name: str

    def wrap(self, dek: bytes, context: bytes) -> WrappedKey: ...

    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes: ...

    def rewrap(self, wrapped: WrappedKey, context: bytes) -> WrappedKey:
        """The same DEK wrapped under the current KEK version (plaintext DEK never leaves it
        where the provider can avoid it, e.g. OpenBao transit rewrap)."""
        ...

    def rotate(self) -> int:
        """Add a KEK version, make it current, return its number."""
        ...

    def retire(self, version: int) -> None:
        """Refuse to unwrap anything wrapped under ``version`` or older from now on."""
        ...

    def current_version(self) -> int: ...

    def lookup_key(self) -> bytes:
        """A stable key for keyed look-up hashes (HMAC of API key ids); not the KEK itself."""
        ...


class Vault(Protocol):
    """Seal and open secret values. Implemented by :class:`tradebind.vault.envelope.EnvelopeVault`."""

    def seal(self, value: SecretValue, aad: Aad) -> SealedValue:
        """Encrypt ``value`` under a fresh DEK; wrap the DEK with the current KEK."""
        ...

    def open(self, sealed: SealedValue, aad: Aad, *, cache_id: str | None = None) -> SecretValue:
        """Decrypt; ``cache_id`` (the wrapped-key row id) lets a short-TTL cache of unwrapped
        DEKs skip the provider on the signing path. Raises :class:`DecryptionFailed` or
        :class:`KekUnavailable`; never returns wrong plaintext."""
        ...

    def rewrap(self, wrapped: WrappedKey, owner: str) -> WrappedKey:
        """Move one wrapped DEK to the current KEK version (rotation)."""
        ...

    def forget(self, cache_id: str) -> None:
        """Drop a cached DEK (its credential was replaced or deleted)."""
        ...

    def lookup_hash(self, value: str) -> str:
        """Keyed hash of a non-secret-but-sensitive value (an API key id) for equality look-ups."""
        ...
