"""The vault's public names are pinned, so the API the store and gateway use cannot drift silently."""

from __future__ import annotations

import tradebind.vault

PUBLIC = {
    "Aad",
    "DecryptionFailed",
    "DekCache",
    "EnvelopeVault",
    "InsecureKeyFile",
    "KekProvider",
    "KekUnavailable",
    "KekVersionRetired",
    "LocalFileKekProvider",
    "NoDekCache",
    "OpenBaoKekProvider",
    "SealedValue",
    "SecretValue",
    "TtlDekCache",
    "Vault",
    "VaultError",
    "WrappedKey",
    "wrap_context",
}


def test_exported_members() -> None:
    assert set(tradebind.vault.__all__) == PUBLIC
    assert all(hasattr(tradebind.vault, name) for name in PUBLIC)


def test_every_error_is_a_vault_error() -> None:
    v = tradebind.vault
    assert issubclass(v.KekVersionRetired, v.DecryptionFailed)
    assert issubclass(v.InsecureKeyFile, v.KekUnavailable)
    for error in (v.KekUnavailable, v.DecryptionFailed, v.KekVersionRetired, v.InsecureKeyFile):
        assert issubclass(error, v.VaultError)
