"""EnvelopeVault behaves the same over every KEK provider: what the store and the gateway rely on."""

from __future__ import annotations

import base64
import logging

import pytest

from tests.contract.vault.conftest import KekHarness
from tradebind.vault import (
    Aad,
    DecryptionFailed,
    EnvelopeVault,
    KekUnavailable,
    KekVersionRetired,
    SealedValue,
    SecretValue,
    TtlDekCache,
)

CANARY = "CANARY-contract-7d0c55e1b3a94f2a"
AAD = Aad("alice", "cred-1", "api_secret")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def vault(kek: KekHarness, clock: FakeClock) -> EnvelopeVault:
    return EnvelopeVault(kek.provider, cache=TtlDekCache(ttl_seconds=10, clock=clock))


def test_seal_then_open(vault: EnvelopeVault) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    assert CANARY.encode() not in sealed.ciphertext + sealed.wrapped_key.blob
    assert vault.open(sealed, AAD).reveal() == CANARY


@pytest.mark.parametrize(
    "other",
    [Aad("bob", "cred-1", "api_secret"), Aad("alice", "cred-2", "api_secret"), Aad("alice", "cred-1", "passphrase")],
    ids=["owner", "record", "field"],
)
def test_wrong_associated_data_fails(vault: EnvelopeVault, other: Aad) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    with pytest.raises(DecryptionFailed):
        vault.open(sealed, other)
    with pytest.raises(DecryptionFailed):
        vault.open(sealed, other, cache_id="wk-1")


def test_rows_swapped_between_owners_fail(vault: EnvelopeVault) -> None:
    bob_aad = Aad("bob", "cred-9", "api_secret")
    alice = vault.seal(SecretValue("alice-secret"), AAD)
    vault.seal(SecretValue("bob-secret"), bob_aad)
    # Alice's whole row (payload + wrapped key) copied under Bob's record.
    with pytest.raises(DecryptionFailed):
        vault.open(alice, bob_aad)


def test_rotation_rewrap_retire_without_touching_payloads(vault: EnvelopeVault) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    version = vault.rotate()
    rewrapped = SealedValue(sealed.ciphertext, vault.rewrap(sealed.wrapped_key, AAD.owner))
    assert rewrapped.wrapped_key.kek_version == version
    vault.retire(version - 1)
    with pytest.raises(KekVersionRetired):
        vault.open(sealed, AAD)
    assert vault.open(rewrapped, AAD).reveal() == CANARY


def test_lookup_hash_is_stable(vault: EnvelopeVault) -> None:
    digest = vault.lookup_hash("key-id-123")
    vault.rotate()
    assert vault.lookup_hash("key-id-123") == digest
    assert vault.lookup_hash("key-id-124") != digest


def test_provider_stopped_mid_test_fails_closed(vault: EnvelopeVault, kek: KekHarness, clock: FakeClock) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    assert vault.open(sealed, AAD, cache_id="wk-1").reveal() == CANARY
    kek.take_down()
    with pytest.raises(KekUnavailable):
        vault.seal(SecretValue(CANARY), AAD)
    with pytest.raises(KekUnavailable):
        vault.open(sealed, AAD)
    with pytest.raises(KekUnavailable):
        vault.rewrap(sealed.wrapped_key, AAD.owner)
    with pytest.raises(KekUnavailable):
        vault.lookup_hash("key-id-123")
    with pytest.raises(KekUnavailable):
        vault.rotate()
    # A warm data key keeps signing working for at most the cache TTL, then it fails closed too.
    assert vault.open(sealed, AAD, cache_id="wk-1").reveal() == CANARY
    clock.now += 10
    with pytest.raises(KekUnavailable):
        vault.open(sealed, AAD, cache_id="wk-1")


def test_forget_makes_the_next_open_ask_the_provider(vault: EnvelopeVault, kek: KekHarness) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    vault.open(sealed, AAD, cache_id="wk-1")
    vault.forget("wk-1")
    kek.take_down()
    with pytest.raises(KekUnavailable):
        vault.open(sealed, AAD, cache_id="wk-1")


def test_no_secret_reaches_the_logs(vault: EnvelopeVault, caplog: pytest.LogCaptureFixture) -> None:
    # Everything at DEBUG, including hvac, requests and urllib3 on the OpenBao path.
    with caplog.at_level(logging.DEBUG):
        sealed = vault.seal(SecretValue(CANARY), AAD)
        vault.open(sealed, AAD, cache_id="wk-1")
        vault.rotate()
        vault.rewrap(sealed.wrapped_key, AAD.owner)
        with pytest.raises(DecryptionFailed):
            vault.open(sealed, Aad("bob", "cred-1", "api_secret"))
    forms = [CANARY, base64.b64encode(CANARY.encode()).decode(), CANARY.encode().hex()]
    assert not [f for f in forms if f in caplog.text]
