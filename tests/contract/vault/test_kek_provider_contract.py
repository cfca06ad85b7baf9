"""What every KEK provider promises (run against the local key file and a real OpenBao server)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.contract.vault.conftest import KekHarness
from tradebind.vault import (
    DecryptionFailed,
    KekProvider,
    KekUnavailable,
    KekVersionRetired,
    VaultError,
    WrappedKey,
    wrap_context,
)

ALICE = wrap_context("alice")
BOB = wrap_context("bob")


def _tampered(wrapped: WrappedKey) -> WrappedKey:
    # Change one byte near the end; for OpenBao's text blobs keep it a valid base64 character.
    blob = bytearray(wrapped.blob)
    i = len(blob) - 10
    blob[i] = ord("A") if blob[i] != ord("A") else ord("B")
    return WrappedKey(wrapped.provider, wrapped.kek_version, bytes(blob))


def test_unwrap_returns_the_wrapped_key(kek: KekHarness) -> None:
    dek = os.urandom(32)
    wrapped = kek.provider.wrap(dek, ALICE)
    assert wrapped.provider == kek.provider.name
    assert wrapped.kek_version == kek.provider.current_version() == 1
    assert dek not in wrapped.blob
    assert kek.provider.unwrap(wrapped, ALICE) == dek


def test_wrapped_keys_survive_a_restart(kek: KekHarness) -> None:
    dek = os.urandom(32)
    wrapped = kek.provider.wrap(dek, ALICE)
    assert kek.reopen().unwrap(wrapped, ALICE) == dek


def test_another_owners_context_fails(kek: KekHarness) -> None:
    wrapped = kek.provider.wrap(os.urandom(32), ALICE)
    with pytest.raises(DecryptionFailed):
        kek.provider.unwrap(wrapped, BOB)


def test_tampered_wrapped_key_fails(kek: KekHarness) -> None:
    wrapped = kek.provider.wrap(os.urandom(32), ALICE)
    with pytest.raises(DecryptionFailed):
        kek.provider.unwrap(_tampered(wrapped), ALICE)


def test_foreign_provider_label_fails(kek: KekHarness) -> None:
    wrapped = kek.provider.wrap(os.urandom(32), ALICE)
    with pytest.raises(DecryptionFailed, match="provider"):
        kek.provider.unwrap(WrappedKey("aws_kms", wrapped.kek_version, wrapped.blob), ALICE)


def test_rotation_keeps_old_wraps_readable_and_rewrap_moves_them(kek: KekHarness) -> None:
    dek = os.urandom(32)
    old = kek.provider.wrap(dek, ALICE)
    assert kek.provider.rotate() == 2
    assert kek.provider.current_version() == 2
    assert kek.provider.wrap(os.urandom(32), ALICE).kek_version == 2
    assert kek.provider.unwrap(old, ALICE) == dek
    new = kek.provider.rewrap(old, ALICE)
    assert new.kek_version == 2
    assert new.blob != old.blob
    assert kek.provider.unwrap(new, ALICE) == dek


def test_rewrap_keeps_the_owner_binding(kek: KekHarness) -> None:
    old = kek.provider.wrap(os.urandom(32), ALICE)
    kek.provider.rotate()
    with pytest.raises(DecryptionFailed):
        kek.provider.rewrap(old, BOB)
    with pytest.raises(DecryptionFailed):
        kek.provider.unwrap(kek.provider.rewrap(old, ALICE), BOB)


def test_retired_version_fails_with_a_clear_error(kek: KekHarness) -> None:
    dek = os.urandom(32)
    old = kek.provider.wrap(dek, ALICE)
    kek.provider.rotate()
    new = kek.provider.rewrap(old, ALICE)
    kek.provider.retire(1)
    kek.provider.retire(1)  # idempotent
    with pytest.raises(KekVersionRetired, match="version 1 is retired"):
        kek.provider.unwrap(old, ALICE)
    with pytest.raises(KekVersionRetired):
        kek.provider.rewrap(old, ALICE)
    assert kek.provider.unwrap(new, ALICE) == dek
    assert kek.reopen().unwrap(new, ALICE) == dek


def test_current_version_cannot_be_retired(kek: KekHarness) -> None:
    with pytest.raises(VaultError, match="rotate first"):
        kek.provider.retire(kek.provider.current_version())
    kek.provider.wrap(os.urandom(32), ALICE)  # still serving


def test_lookup_key_is_stable_and_not_a_kek(kek: KekHarness) -> None:
    key = kek.provider.lookup_key()
    assert len(key) == 32
    kek.provider.rotate()
    assert kek.provider.lookup_key() == key
    assert kek.reopen().lookup_key() == key


OPERATIONS: dict[str, Callable[[KekProvider, WrappedKey], object]] = {
    "wrap": lambda p, w: p.wrap(os.urandom(32), ALICE),
    "unwrap": lambda p, w: p.unwrap(w, ALICE),
    "rewrap": lambda p, w: p.rewrap(w, ALICE),
    "rotate": lambda p, w: p.rotate(),
    "retire": lambda p, w: p.retire(1),
    "current_version": lambda p, w: p.current_version(),
    "lookup_key": lambda p, w: p.lookup_key(),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_provider_down_fails_closed(kek: KekHarness, operation: str) -> None:
    wrapped = kek.provider.wrap(os.urandom(32), ALICE)
    kek.take_down()
    with pytest.raises(KekUnavailable):
        OPERATIONS[operation](kek.provider, wrapped)
