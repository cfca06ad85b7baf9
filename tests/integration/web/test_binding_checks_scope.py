"""BindingCheckRepository is owner-scoped: every public method, with another owner's ids, gives nothing."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tests.integration.store.support import BACKENDS, binance_material, database
from tradebind.store import BindingRepository, CredentialRepository, NotFound, OwnerDirectory, Store
from tradebind.store.binding_checks import BindingCheckRepository
from tradebind.vault import EnvelopeVault, LocalFileKekProvider

WALKED = {"record", "last", "key_list", "list_version", "owner_id"}


def test_every_public_method_is_walked() -> None:
    public = {n for n, _ in inspect.getmembers(BindingCheckRepository) if not n.startswith("_")}
    assert public == WALKED


@pytest.mark.parametrize("backend", BACKENDS)
def test_another_owners_binding_checks_are_invisible(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as db:
        store = Store.open(db.url)
        try:
            vault = EnvelopeVault(LocalFileKekProvider(tmp_path / "k.kek"))
            alice, bob = OwnerDirectory(store).create("alice"), OwnerDirectory(store).create("bob")
            credential = CredentialRepository(store, vault, alice.id).add(binance_material(), "a")
            binding = BindingRepository(store, alice.id).add(credential.id, "spot", "a")
            mine = BindingCheckRepository(store, alice.id)
            report = {"verdict": "CONNECTED", "balance": {"quote": "USDT", "total": {"available": "5"}}}
            mine.record(binding.id, report)
            theirs = BindingCheckRepository(store, bob.id)
            before = theirs.list_version()
            with pytest.raises(NotFound):
                theirs.record(binding.id, {"verdict": "INVALID_KEY"})
            assert theirs.last(binding.id) is None
            assert theirs.key_list() == []
            assert theirs.key_list(binding_id=binding.id) == []
            assert theirs.list_version() == before
            assert theirs.owner_id == bob.id
            stored = mine.last(binding.id)
            assert stored is not None
            assert (stored.verdict, stored.available, stored.quote) == ("CONNECTED", "5", "USDT")
            [row] = mine.key_list()
            assert (row.verdict, row.available, row.bots, row.market) == ("CONNECTED", "5", 0, "spot")
        finally:
            store.close()
