"""Secrets at rest: envelope encryption with pluggable KEK providers (see api.py for the contract).

Typical wiring::

    vault = EnvelopeVault(LocalFileKekProvider(data_dir / "kek.json"))      # default, 0600 file
    vault = EnvelopeVault(OpenBaoKekProvider(url, SecretValue(token)))       # production
    sealed = vault.seal(SecretValue(api_secret), Aad(owner_id, value_row_id, "api_secret"))
    secret = vault.open(sealed, Aad(owner_id, value_row_id, "api_secret"), cache_id=value_row_id)
    vault.forget(value_row_id)          # after replacing or deleting that value
    key_hash = vault.lookup_hash(api_key_id)
    vault.rotate(); vault.rewrap(wrapped, owner_id); vault.retire(old_version)
"""

from tradebind.vault.api import (
    Aad,
    DecryptionFailed,
    InsecureKeyFile,
    KekProvider,
    KekUnavailable,
    KekVersionRetired,
    SealedValue,
    SecretValue,
    Vault,
    VaultError,
    WrappedKey,
)
from tradebind.vault.cache import DekCache, NoDekCache, TtlDekCache
from tradebind.vault.envelope import EnvelopeVault, wrap_context
from tradebind.vault.providers.local_file import LocalFileKekProvider
from tradebind.vault.providers.openbao import OpenBaoKekProvider

__all__ = [
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
]
