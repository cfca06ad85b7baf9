"""EnvelopeVault: one random AES-256-GCM data key per secret value, wrapped by a KEK provider.

Payload format (``SealedValue.ciphertext``): ``0x01 || nonce (12 B) || AES-GCM(ciphertext || tag)``.
The payload's associated data is the format byte plus :meth:`Aad.encode` (owner, record, field),
so a ciphertext moved to another owner, record or field fails to decrypt. The data key's wrap is
bound to the owner only (``wrap_context``): OpenBao transit rewrap cannot carry associated data,
only a key-derivation context (shared/reference/secrets-at-rest.md A1), so record and field
binding lives here in the DEK layer and survives KEK rotation.

Caching: ``open(..., cache_id=...)`` keeps the unwrapped DEK in a :class:`DekCache` for a short
TTL. While an entry is warm, ``open`` does not consult the provider, so a provider outage is
noticed by cached values only after the TTL (bounded by the cache); everything else (seal,
uncached open, rewrap, rotate, look-up hashes) fails closed with :class:`KekUnavailable` at once.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tradebind.vault.api import (
    Aad,
    DecryptionFailed,
    KekProvider,
    SealedValue,
    SecretValue,
    WrappedKey,
)
from tradebind.vault.cache import DekCache, TtlDekCache
from tradebind.vault.encoding import length_prefixed

FORMAT_V1 = b"\x01"
_NONCE = 12
_TAG = 16


def wrap_context(owner: str) -> bytes:
    """The context a data key's wrap is bound to: its owner (OpenBao: the key-derivation context)."""
    return length_prefixed(b"tradebind/wrap/v1", owner.encode())


def _fingerprint(wrapped: WrappedKey, context: bytes) -> bytes:
    version = wrapped.kek_version.to_bytes(4, "big")
    return hashlib.sha256(length_prefixed(wrapped.provider.encode(), version, wrapped.blob, context)).digest()


class EnvelopeVault:
    """Seal and open secret values (implements :class:`tradebind.vault.api.Vault`).

    ``provider`` holds the KEK (:class:`LocalFileKekProvider` or :class:`OpenBaoKekProvider`).
    ``cache`` keeps unwrapped DEKs for the signing path; by default a fresh in-process
    :class:`TtlDekCache` (30 s, 4096 entries); pass :class:`NoDekCache` to disable caching.
    """

    def __init__(self, provider: KekProvider, *, cache: DekCache | None = None) -> None:
        self._provider = provider
        self._cache: DekCache = cache if cache is not None else TtlDekCache()

    def __repr__(self) -> str:
        return f"EnvelopeVault(provider={self._provider.name!r})"

    @property
    def provider_name(self) -> str:
        """The provider's name as recorded in :attr:`WrappedKey.provider` (``local``, ``openbao``)."""
        return self._provider.name

    def seal(self, value: SecretValue, aad: Aad) -> SealedValue:
        """Encrypt ``value`` under a fresh DEK; wrap the DEK with the current KEK version."""
        dek = AESGCM.generate_key(bit_length=256)
        wrapped = self._provider.wrap(dek, wrap_context(aad.owner))
        nonce = os.urandom(_NONCE)
        body = AESGCM(dek).encrypt(nonce, value.reveal().encode(), FORMAT_V1 + aad.encode())
        return SealedValue(FORMAT_V1 + nonce + body, wrapped)

    def open(self, sealed: SealedValue, aad: Aad, *, cache_id: str | None = None) -> SecretValue:
        """Decrypt ``sealed`` for ``aad``; raises :class:`DecryptionFailed`, :class:`KekVersionRetired`
        or :class:`KekUnavailable`, never returns wrong plaintext. With ``cache_id`` (the
        wrapped-key row id) the unwrapped DEK is cached; call :meth:`forget` when that row changes."""
        ciphertext = sealed.ciphertext
        if len(ciphertext) < 1 + _NONCE + _TAG or ciphertext[:1] != FORMAT_V1:
            raise DecryptionFailed("ciphertext is not in a known envelope format")
        context = wrap_context(aad.owner)
        fingerprint = b"" if cache_id is None else _fingerprint(sealed.wrapped_key, context)
        cached = None if cache_id is None else self._cache.get(cache_id, fingerprint)
        dek = cached if cached is not None else self._provider.unwrap(sealed.wrapped_key, context)
        nonce, body = ciphertext[1 : 1 + _NONCE], ciphertext[1 + _NONCE :]
        try:
            plaintext = AESGCM(dek).decrypt(nonce, body, FORMAT_V1 + aad.encode())
        except InvalidTag:
            raise DecryptionFailed("ciphertext does not match its owner, record or field, or was altered") from None
        if cache_id is not None and cached is None:
            # Cache only a DEK proven to open this payload under this AAD.
            self._cache.put(cache_id, fingerprint, dek)
        return SecretValue(plaintext.decode())

    def rewrap(self, wrapped: WrappedKey, owner: str) -> WrappedKey:
        """The same DEK wrapped under the current KEK version; the payload is untouched."""
        return self._provider.rewrap(wrapped, wrap_context(owner))

    def forget(self, cache_id: str) -> None:
        """Drop a cached DEK (its credential was replaced or deleted)."""
        self._cache.forget(cache_id)

    def rotate(self) -> int:
        """Add a KEK version and make it current; returns its number. Then rewrap, then retire."""
        return self._provider.rotate()

    def retire(self, version: int) -> None:
        """Refuse data keys wrapped under ``version`` or older from now on (also drops cached DEKs)."""
        self._provider.retire(version)
        self._cache.clear()

    def current_version(self) -> int:
        return self._provider.current_version()

    def lookup_hash(self, value: str) -> str:
        """HMAC-SHA256 (hex) of ``value`` under the provider's look-up key, for equality look-ups."""
        key = self._provider.lookup_key()
        return hmac.new(key, length_prefixed(b"tradebind/lookup/v1", value.encode()), hashlib.sha256).hexdigest()
