"""EnvelopeVault over the local key file: binding, tampering, rotation and the data-key cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradebind.vault import (
    Aad,
    DecryptionFailed,
    EnvelopeVault,
    KekUnavailable,
    KekVersionRetired,
    LocalFileKekProvider,
    NoDekCache,
    SealedValue,
    SecretValue,
    TtlDekCache,
    VaultError,
    WrappedKey,
)

CANARY = "CANARY-env-0b9e3c7d51a24f68"
AAD = Aad("owner-1", "cred-1", "api_secret")


class FakeClock:
    """A monotonic clock the test moves by hand, so cache expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kek.json"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def vault(key_file: Path, clock: FakeClock) -> EnvelopeVault:
    return EnvelopeVault(LocalFileKekProvider(key_file), cache=TtlDekCache(ttl_seconds=30, clock=clock))


def test_round_trip_including_unicode_and_empty(vault: EnvelopeVault) -> None:
    for text in (CANARY, "пароль-密码-🔑", ""):
        assert vault.open(vault.seal(SecretValue(text), AAD), AAD).reveal() == text


def test_every_value_gets_its_own_data_key_and_nonce(vault: EnvelopeVault) -> None:
    a, b = vault.seal(SecretValue(CANARY), AAD), vault.seal(SecretValue(CANARY), AAD)
    assert a.ciphertext != b.ciphertext
    assert a.wrapped_key.blob != b.wrapped_key.blob


def test_sealed_value_does_not_contain_the_plaintext(vault: EnvelopeVault) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    assert CANARY.encode() not in sealed.ciphertext + sealed.wrapped_key.blob
    assert CANARY not in repr(sealed)


@pytest.mark.parametrize(
    "other",
    [
        Aad("owner-2", "cred-1", "api_secret"),
        Aad("owner-1", "cred-2", "api_secret"),
        Aad("owner-1", "cred-1", "passphrase"),
    ],
    ids=["owner", "record", "field"],
)
def test_wrong_associated_data_fails(vault: EnvelopeVault, other: Aad) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    with pytest.raises(DecryptionFailed) as info:
        vault.open(sealed, other)
    assert CANARY not in str(info.value)


def test_swapped_fields_of_one_record_fail(vault: EnvelopeVault) -> None:
    secret_aad, phrase_aad = AAD, Aad("owner-1", "cred-1", "passphrase")
    secret = vault.seal(SecretValue("the-secret"), secret_aad)
    phrase = vault.seal(SecretValue("the-phrase"), phrase_aad)
    with pytest.raises(DecryptionFailed):
        vault.open(phrase, secret_aad)
    with pytest.raises(DecryptionFailed):
        vault.open(secret, phrase_aad)


def test_swapped_wrapped_keys_fail(vault: EnvelopeVault) -> None:
    one = vault.seal(SecretValue("one"), AAD)
    two = vault.seal(SecretValue("two"), AAD)
    with pytest.raises(DecryptionFailed):
        vault.open(SealedValue(one.ciphertext, two.wrapped_key), AAD)


@pytest.mark.parametrize("position", [0, 1, 12, 13, -1])
def test_tampered_ciphertext_fails(vault: EnvelopeVault, position: int) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    data = bytearray(sealed.ciphertext)
    data[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        vault.open(SealedValue(bytes(data), sealed.wrapped_key), AAD)


def test_truncated_ciphertext_fails(vault: EnvelopeVault) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    for cut in (0, 5, len(sealed.ciphertext) - 1):
        with pytest.raises(DecryptionFailed):
            vault.open(SealedValue(sealed.ciphertext[:cut], sealed.wrapped_key), AAD)


@pytest.mark.parametrize("position", [0, 11, 12, 30, -1])
def test_tampered_wrapped_key_fails(vault: EnvelopeVault, position: int) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    blob = bytearray(sealed.wrapped_key.blob)
    blob[position] ^= 0x80
    tampered = WrappedKey("local", sealed.wrapped_key.kek_version, bytes(blob))
    with pytest.raises(DecryptionFailed):
        vault.open(SealedValue(sealed.ciphertext, tampered), AAD)


def test_relabelled_kek_version_or_provider_fails(vault: EnvelopeVault) -> None:
    vault.rotate()
    sealed = vault.seal(SecretValue(CANARY), AAD)
    for wrapped in (
        WrappedKey("local", 1, sealed.wrapped_key.blob),
        WrappedKey("openbao", 2, sealed.wrapped_key.blob),
        WrappedKey("local", 99, sealed.wrapped_key.blob),
    ):
        with pytest.raises(DecryptionFailed):
            vault.open(SealedValue(sealed.ciphertext, wrapped), AAD)


def test_rotation_rewraps_without_touching_the_payload(vault: EnvelopeVault) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    assert vault.rotate() == 2
    assert vault.open(sealed, AAD).reveal() == CANARY  # old version still opens until retired
    rewrapped = vault.rewrap(sealed.wrapped_key, AAD.owner)
    assert rewrapped.kek_version == 2
    vault.retire(1)
    with pytest.raises(KekVersionRetired, match="retired"):
        vault.open(sealed, AAD)
    assert vault.open(SealedValue(sealed.ciphertext, rewrapped), AAD).reveal() == CANARY
    assert vault.seal(SecretValue(CANARY), AAD).wrapped_key.kek_version == 2


def test_rewrap_for_another_owner_fails(vault: EnvelopeVault) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    vault.rotate()
    with pytest.raises(DecryptionFailed):
        vault.rewrap(sealed.wrapped_key, "owner-2")


def test_warm_cache_skips_the_provider_until_the_ttl(vault: EnvelopeVault, key_file: Path, clock: FakeClock) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    assert vault.open(sealed, AAD, cache_id="wk-1").reveal() == CANARY
    key_file.unlink()  # the provider is now down
    assert vault.open(sealed, AAD, cache_id="wk-1").reveal() == CANARY
    with pytest.raises(KekUnavailable):
        vault.open(sealed, AAD)  # no cache id: straight to the provider
    clock.now += 31
    with pytest.raises(KekUnavailable):
        vault.open(sealed, AAD, cache_id="wk-1")


def test_forget_drops_the_cached_key(vault: EnvelopeVault, key_file: Path) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    vault.open(sealed, AAD, cache_id="wk-1")
    vault.forget("wk-1")
    key_file.unlink()
    with pytest.raises(KekUnavailable):
        vault.open(sealed, AAD, cache_id="wk-1")


def test_cache_never_serves_a_key_to_another_owner(vault: EnvelopeVault, key_file: Path) -> None:
    mine = vault.seal(SecretValue(CANARY), AAD)
    vault.open(mine, AAD, cache_id="wk-1")
    key_file.unlink()
    # The same row id presented with another owner's AAD must miss the cache and reach the
    # (down) provider, never decrypt with the cached key.
    with pytest.raises(KekUnavailable):
        vault.open(mine, Aad("owner-2", "cred-1", "api_secret"), cache_id="wk-1")


def test_cache_never_serves_a_key_for_another_wrapped_key(vault: EnvelopeVault) -> None:
    first = vault.seal(SecretValue("first"), AAD)
    second = vault.seal(SecretValue("second"), AAD)
    assert vault.open(first, AAD, cache_id="wk-1").reveal() == "first"
    # The row was replaced without forget(): the new wrapped key misses the stale entry.
    assert vault.open(second, AAD, cache_id="wk-1").reveal() == "second"


def test_failed_open_does_not_populate_the_cache(vault: EnvelopeVault, key_file: Path) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    with pytest.raises(DecryptionFailed):
        vault.open(sealed, Aad("owner-1", "cred-1", "passphrase"), cache_id="wk-1")
    key_file.unlink()
    with pytest.raises(KekUnavailable):
        vault.open(sealed, AAD, cache_id="wk-1")


def test_retire_drops_cached_keys(vault: EnvelopeVault) -> None:
    sealed = vault.seal(SecretValue(CANARY), AAD)
    vault.open(sealed, AAD, cache_id="wk-1")
    vault.rotate()
    vault.retire(1)
    with pytest.raises(KekVersionRetired):
        vault.open(sealed, AAD, cache_id="wk-1")


def test_no_cache_always_asks_the_provider(key_file: Path) -> None:
    vault = EnvelopeVault(LocalFileKekProvider(key_file), cache=NoDekCache())
    sealed = vault.seal(SecretValue(CANARY), AAD)
    vault.open(sealed, AAD, cache_id="wk-1")
    key_file.unlink()
    with pytest.raises(KekUnavailable):
        vault.open(sealed, AAD, cache_id="wk-1")


def test_lookup_hash_is_keyed_stable_and_hides_the_value(vault: EnvelopeVault, key_file: Path, tmp_path: Path) -> None:
    key_id = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    digest = vault.lookup_hash(key_id)
    assert len(digest) == 64
    assert key_id not in digest
    assert vault.lookup_hash(key_id) == digest
    assert EnvelopeVault(LocalFileKekProvider(key_file)).lookup_hash(key_id) == digest
    vault.rotate()
    assert vault.lookup_hash(key_id) == digest  # KEK rotation does not break look-ups
    assert vault.lookup_hash(key_id + "x") != digest
    other = EnvelopeVault(LocalFileKekProvider(tmp_path / "other.json"))
    assert other.lookup_hash(key_id) != digest


def test_retiring_the_current_version_is_refused(vault: EnvelopeVault) -> None:
    with pytest.raises(VaultError, match="rotate first"):
        vault.retire(vault.current_version())


def test_repr_names_the_provider_only(vault: EnvelopeVault) -> None:
    assert repr(vault) == "EnvelopeVault(provider='local')"
