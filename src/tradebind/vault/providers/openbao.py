"""KEK provider on OpenBao / HashiCorp Vault transit (via hvac): the KEK never leaves the server.

The transit key is created with ``derived=true``, and every wrap carries the caller's ``context``
(the owner): transit derives a per-owner key from it, so a wrapped key moved to another owner does
not unwrap. We use ``context`` rather than ``associated_data`` because transit *rewrap* takes no
associated data, so a ciphertext made with it could never be rewrapped in place
(shared/reference/secrets-at-rest.md A1; openbao ``builtin/logical/transit/path_rewrap.go``).

Rotation is ``transit/keys/<k>/rotate``; rewrap is ``transit/rewrap/<k>`` (the DEK stays inside
OpenBao); retiring a version raises ``min_decryption_version``, after which OpenBao answers
"ciphertext or signature version is disallowed by policy (too old)".

Look-up hashes need a stable key that is not the KEK: a second transit key ``<key>-lookup``,
created exportable and never rotated, whose HMAC key (version 1) is exported on each call. It is
fetched every time rather than kept, so a down server fails look-ups closed too.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Iterator
from typing import Any

import hvac
import hvac.exceptions
import requests

from tradebind.vault.api import (
    DecryptionFailed,
    KekUnavailable,
    KekVersionRetired,
    SecretValue,
    VaultError,
    WrappedKey,
)

NAME = "openbao"
_DEK_BYTES = 32
_VERSION = re.compile(rb"\Avault:v(\d+):")
_TOO_OLD = "disallowed by policy (too old)"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _blob_version(blob: bytes) -> int:
    match = _VERSION.match(blob)
    if match is None:
        raise DecryptionFailed("wrapped data key is not an OpenBao transit ciphertext")
    return int(match.group(1))


class OpenBaoKekProvider:
    """KEK in the transit engine at ``url`` (mount ``mount_point``, key ``key_name``).

    ``token`` is an OpenBao token allowed to encrypt/decrypt/rewrap with the key (plus
    rotate/config for rotation, export of ``<key>-lookup`` for look-up hashes). The constructor
    checks both keys exist and the KEK is derived; with ``create`` it creates missing ones (needs
    the matching policy), without it a missing key is :class:`KekUnavailable`, as is an
    unreachable server. Grant only ``update`` (not ``create``) on ``transit/encrypt/<key>`` in
    production: transit *encrypt* creates a missing key on the fly when allowed to.
    ``verify`` is passed to requests (``True``, ``False`` or a CA bundle path).
    """

    name = NAME

    def __init__(
        self,
        url: str,
        token: SecretValue,
        *,
        key_name: str = "tradebind-kek",
        mount_point: str = "transit",
        timeout: float = 5.0,
        verify: bool | str = True,
        create: bool = True,
    ) -> None:
        self._url = url
        self._key = key_name
        self._lookup = f"{key_name}-lookup"
        self._mount = mount_point
        self._client = hvac.Client(url=url, token=token.reveal(), timeout=timeout, verify=verify)
        self._transit = self._client.secrets.transit
        self._ensure_keys(create)

    def __repr__(self) -> str:
        return f"OpenBaoKekProvider(url={self._url!r}, mount_point={self._mount!r}, key_name={self._key!r})"

    def wrap(self, dek: bytes, context: bytes) -> WrappedKey:
        with self._calls("wrap"):
            data = self._transit.encrypt_data(
                self._key, plaintext=_b64(dek), context=_b64(context), mount_point=self._mount
            )["data"]
        return WrappedKey(NAME, int(data["key_version"]), data["ciphertext"].encode())

    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes:
        ciphertext = self._checked(wrapped)
        with self._calls("unwrap", version=wrapped.kek_version):
            data = self._transit.decrypt_data(
                self._key, ciphertext=ciphertext, context=_b64(context), mount_point=self._mount
            )["data"]
        try:
            dek = base64.b64decode(data["plaintext"], validate=True)
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise DecryptionFailed("OpenBao returned a malformed data key") from None
        if len(dek) != _DEK_BYTES:
            raise DecryptionFailed("wrapped data key has the wrong length")
        return dek

    def rewrap(self, wrapped: WrappedKey, context: bytes) -> WrappedKey:
        ciphertext = self._checked(wrapped)
        with self._calls("rewrap", version=wrapped.kek_version):
            data = self._transit.rewrap_data(
                self._key, ciphertext=ciphertext, context=_b64(context), mount_point=self._mount
            )["data"]
        blob = data["ciphertext"].encode()
        return WrappedKey(NAME, _blob_version(blob), blob)

    def rotate(self) -> int:
        with self._calls("rotate"):
            self._transit.rotate_key(self._key, mount_point=self._mount)
        return self.current_version()

    def retire(self, version: int) -> None:
        key = self._read(self._key)
        current = int(key["latest_version"])
        if version >= current:
            raise VaultError(f"cannot retire KEK version {version}: current is {current}; rotate first")
        if version + 1 <= int(key["min_decryption_version"]):
            return  # already retired
        with self._calls("retire"):
            self._transit.update_key_configuration(
                self._key, min_decryption_version=version + 1, mount_point=self._mount
            )

    def current_version(self) -> int:
        return int(self._read(self._key)["latest_version"])

    def lookup_key(self) -> bytes:
        with self._calls("lookup key", self._lookup):
            keys = self._transit.export_key(self._lookup, key_type="hmac-key", mount_point=self._mount)["data"]["keys"]
        try:
            return base64.b64decode(keys["1"], validate=True)
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise KekUnavailable("OpenBao returned no usable look-up key") from None

    # -- helpers ----------------------------------------------------------------------------

    def _ensure_keys(self, create: bool) -> None:
        for name, settings in ((self._key, {"derived": True}), (self._lookup, {"exportable": True})):
            with self._calls("key setup", name):
                try:
                    self._transit.read_key(name, mount_point=self._mount)
                except hvac.exceptions.InvalidPath:
                    if not create:
                        raise
                    self._transit.create_key(name, key_type="aes256-gcm96", mount_point=self._mount, **settings)
        if not self._read(self._key).get("derived"):
            # Without derivation the owner context is not bound to the wrap: refuse to run.
            raise VaultError(f"transit key {self._key!r} must be created with derived=true")

    def _read(self, name: str) -> dict[str, Any]:
        with self._calls("read key", name):
            data: dict[str, Any] = self._transit.read_key(name, mount_point=self._mount)["data"]
        return data

    def _checked(self, wrapped: WrappedKey) -> str:
        if wrapped.provider != NAME:
            raise DecryptionFailed(f"data key was wrapped by provider {wrapped.provider!r}, not {NAME!r}")
        if _blob_version(wrapped.blob) != wrapped.kek_version:
            raise DecryptionFailed("wrapped data key's version label does not match its ciphertext")
        try:
            return wrapped.blob.decode("ascii")
        except UnicodeDecodeError:
            raise DecryptionFailed("wrapped data key is not an OpenBao transit ciphertext") from None

    @contextlib.contextmanager
    def _calls(self, operation: str, key: str | None = None, version: int | None = None) -> Iterator[None]:
        """Map transport and server errors to the vault's errors, with our own fixed messages:
        OpenBao's and hvac's texts are dropped (hvac's quote request URLs)."""
        try:
            yield
        except requests.RequestException:
            raise KekUnavailable(f"OpenBao at {self._url} is unreachable ({operation})") from None
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            raise KekUnavailable(f"OpenBao refused {operation}: permission denied") from None
        except hvac.exceptions.InvalidPath:
            missing = key or self._key
            raise KekUnavailable(f"OpenBao has no transit key {missing!r} at {self._mount!r} ({operation})") from None
        except hvac.exceptions.InvalidRequest as exc:
            errors = " ".join(str(e) for e in (exc.errors or []))
            if _TOO_OLD in errors:
                which = "" if version is None else f" {version}"
                raise KekVersionRetired(f"KEK version{which} is retired; the data key must be rewrapped") from None
            if operation in ("unwrap", "rewrap"):
                raise DecryptionFailed("wrapped data key does not match its owner or was altered") from None
            raise VaultError(f"OpenBao rejected {operation}") from None
        except hvac.exceptions.VaultError as exc:
            # Sealed (503), 5xx, rate limited, unexpected: the provider is not serving.
            raise KekUnavailable(f"OpenBao cannot serve {operation} ({type(exc).__name__})") from None
