"""KEK rotation covers the web users' sealed TOTP secrets: rotate, rewrap, retire, still sign in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.store.support import BACKENDS, database
from tests.support.web import Authenticator
from tradebind.store import Conflict, Store, kek_status, retire, rewrap_pending, rotate
from tradebind.store.web_accounts import WebAccounts
from tradebind.vault import EnvelopeVault, LocalFileKekProvider, SecretValue
from tradebind.web import security


@pytest.mark.parametrize("backend", BACKENDS)
def test_rotation_rewraps_totp_secrets_and_retire_waits_for_them(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as db:
        store = Store.open(db.url)
        try:
            vault = EnvelopeVault(LocalFileKekProvider(tmp_path / "k.kek"))
            accounts = WebAccounts(store, vault)
            user = accounts.signup("rot@example.com", security.hash_password("rotation-password-1"))
            secret = security.new_totp_secret()
            accounts.stage_totp(user.owner_id, SecretValue(secret))
            rotate(store, vault)
            status = kek_status(store, vault)
            assert status.pending == 1
            with pytest.raises(Conflict):
                retire(store, vault, 1)
            assert rewrap_pending(store, vault) == 1
            assert kek_status(store, vault).pending == 0
            retire(store, vault, 1)
            opened = accounts.totp_secret(user.owner_id)
            assert opened is not None
            assert opened.reveal() == secret
            code = Authenticator(secret).code()
            assert security.totp_step(opened.reveal(), code) is not None
        finally:
            store.close()
