"""OpenBao-specific behaviour of the transit provider, against a real dev server."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import hvac.exceptions
import pytest

from tests.support.openbao import OpenBaoDevServer
from tradebind.vault import (
    DecryptionFailed,
    KekUnavailable,
    OpenBaoKekProvider,
    SecretValue,
    VaultError,
    WrappedKey,
    wrap_context,
)

ALICE = wrap_context("alice")


@pytest.fixture
def bao() -> Iterator[OpenBaoDevServer]:
    with OpenBaoDevServer() as server:
        yield server


def _provider(bao: OpenBaoDevServer, **kwargs: object) -> OpenBaoKekProvider:
    return OpenBaoKekProvider(bao.url, SecretValue(bao.token), timeout=3, **kwargs)  # type: ignore[arg-type]


def test_creates_a_derived_kek_and_an_exportable_lookup_key(bao: OpenBaoDevServer) -> None:
    _provider(bao, key_name="kek-a")
    transit = bao.client().secrets.transit
    kek = transit.read_key("kek-a")["data"]
    assert kek["derived"] is True
    assert kek["exportable"] is False  # the KEK itself can never leave OpenBao
    assert transit.read_key("kek-a-lookup")["data"]["exportable"] is True


def test_the_kek_is_bound_to_the_owner_context_in_openbao(bao: OpenBaoDevServer) -> None:
    provider = _provider(bao)
    dek = os.urandom(32)
    wrapped = provider.wrap(dek, ALICE)
    transit = bao.client().secrets.transit
    plaintext = transit.decrypt_data(
        "tradebind-kek", ciphertext=wrapped.blob.decode(), context=base64.b64encode(ALICE).decode()
    )["data"]["plaintext"]
    assert base64.b64decode(plaintext) == dek


def test_refuses_an_existing_kek_without_derivation(bao: OpenBaoDevServer) -> None:
    bao.client().secrets.transit.create_key("plain-kek", key_type="aes256-gcm96")
    with pytest.raises(VaultError, match="derived=true"):
        _provider(bao, key_name="plain-kek")


def test_wrong_token_is_unavailable_and_never_echoes_it(bao: OpenBaoDevServer) -> None:
    _provider(bao)
    wrong = "s.not-the-token-4f1b7c"
    with pytest.raises(KekUnavailable, match="permission denied") as info:
        OpenBaoKekProvider(bao.url, SecretValue(wrong), timeout=3)
    assert wrong not in str(info.value)
    assert bao.token not in str(info.value)


def test_sealed_server_fails_closed(bao: OpenBaoDevServer) -> None:
    provider = _provider(bao)
    wrapped = provider.wrap(os.urandom(32), ALICE)
    bao.client().sys.seal()
    with pytest.raises(KekUnavailable):
        provider.unwrap(wrapped, ALICE)
    with pytest.raises(KekUnavailable):
        provider.wrap(os.urandom(32), ALICE)


def test_version_label_must_match_the_ciphertext(bao: OpenBaoDevServer) -> None:
    provider = _provider(bao)
    provider.rotate()
    wrapped = provider.wrap(os.urandom(32), ALICE)
    with pytest.raises(DecryptionFailed, match="version label"):
        provider.unwrap(WrappedKey(wrapped.provider, 1, wrapped.blob), ALICE)
    with pytest.raises(DecryptionFailed):
        provider.unwrap(WrappedKey(wrapped.provider, 2, b"not-a-transit-ciphertext"), ALICE)


def test_missing_transit_key_is_unavailable(bao: OpenBaoDevServer) -> None:
    # Transit encrypt would silently create a missing key (upsert): the provider checks first.
    with pytest.raises(KekUnavailable, match="no transit key 'never-created'"):
        _provider(bao, key_name="never-created", create=False)
    with pytest.raises(hvac.exceptions.InvalidPath):
        bao.client().secrets.transit.read_key("never-created")


def test_repr_shows_no_token(bao: OpenBaoDevServer) -> None:
    provider = _provider(bao)
    assert bao.token not in repr(provider)
    assert repr(provider).startswith("OpenBaoKekProvider(url=")
