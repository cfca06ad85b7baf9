"""Every method of every owner-scoped repository, called with another owner's ids, gives nothing back.

The methods are found by introspection: a new public method without an entry in ``_calls`` fails
``test_every_public_method_is_walked``, so none can be forgotten.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.store.support import binance_material
from tradebind.domain.credentials import Owner
from tradebind.domain.key_material import KeyMaterial
from tradebind.store import (
    OWNER_SCOPED_REPOSITORIES,
    ActivityRepository,
    BindingRepository,
    BotRepository,
    CredentialRepository,
    NotFound,
    Store,
    StoreError,
)
from tradebind.vault import EnvelopeVault


@dataclass(frozen=True)
class World:
    """Alice's records (the victim's ids) and one bot of Bob's own."""

    owner: str
    credential: str
    binding: str
    bot: str
    material: KeyMaterial
    bobs_bot: str


Call = Callable[[Any, World], object]

_calls: dict[tuple[type, str], list[Call]] = {
    (CredentialRepository, "get"): [lambda r, w: r.get(w.credential)],
    (CredentialRepository, "all"): [lambda r, w: r.all()],
    (CredentialRepository, "versions"): [lambda r, w: r.versions(w.credential)],
    (CredentialRepository, "add"): [lambda r, w: r.add(w.material, "stolen")],
    (CredentialRepository, "relabel"): [lambda r, w: r.relabel(w.credential, "mine now")],
    (CredentialRepository, "replace_material"): [lambda r, w: r.replace_material(w.credential, binance_material())],
    (CredentialRepository, "record_check"): [
        lambda r, w: r.record_check(w.credential, verdict="CONNECTED", permissions=[], ips=[])
    ],
    (CredentialRepository, "delete"): [lambda r, w: r.delete(w.credential)],
    (CredentialRepository, "open"): [lambda r, w: r.open(w.credential, purpose="order")],
    (BindingRepository, "get"): [lambda r, w: r.get(w.binding)],
    (BindingRepository, "all"): [lambda r, w: r.all(), lambda r, w: r.all(credential_id=w.credential)],
    (BindingRepository, "add"): [lambda r, w: r.add(w.credential, "futures", "mine")],
    (BindingRepository, "relabel"): [lambda r, w: r.relabel(w.binding, "mine")],
    (BindingRepository, "resolve"): [lambda r, w: r.resolve(w.binding)],
    (BindingRepository, "delete"): [lambda r, w: r.delete(w.binding)],
    (BotRepository, "get"): [lambda r, w: r.get(w.bot)],
    (BotRepository, "all"): [lambda r, w: r.all(), lambda r, w: r.all(binding_id=w.binding)],
    (BotRepository, "add"): [lambda r, w: r.add("spy", w.binding, "BTC/USDT", "dca", {})],
    (BotRepository, "set_state"): [lambda r, w: r.set_state(w.bot, "stopped")],
    (BotRepository, "configure"): [
        lambda r, w: r.configure(w.bot, name="mine"),
        lambda r, w: r.configure(w.bobs_bot, binding_id=w.binding),
    ],
    (BotRepository, "delete"): [lambda r, w: r.delete(w.bot)],
    (ActivityRepository, "recent"): [lambda r, w: r.recent(limit=1000)],
    (ActivityRepository, "for_credential"): [lambda r, w: r.for_credential(w.credential)],
}


def _public_methods(cls: type) -> set[str]:
    return {name for name, member in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def test_every_public_method_is_walked() -> None:
    found = {(cls, name) for cls in OWNER_SCOPED_REPOSITORIES for name in _public_methods(cls)}
    assert found == set(_calls)
    # Every class named *Repository in the store is owner-scoped and listed.
    import tradebind.store as store_pkg

    repositories = {obj for name, obj in vars(store_pkg).items() if name.endswith("Repository")}
    assert repositories == set(OWNER_SCOPED_REPOSITORIES)


def _repo(cls: type, store: Store, vault: EnvelopeVault, owner: str) -> Any:
    return cls(store, vault, owner) if cls is CredentialRepository else cls(store, owner)


def _outcome(call: Call, repo: Any, world: World) -> object:
    try:
        return call(repo, world)
    except StoreError as exc:
        return exc


def _snapshot(store: Store, vault: EnvelopeVault, owner: str) -> tuple[object, ...]:
    creds = CredentialRepository(store, vault, owner)
    return (
        creds.all(),
        BindingRepository(store, owner).all(),
        BotRepository(store, owner).all(),
        ActivityRepository(store, owner).recent(limit=1000),
    )


@pytest.fixture
def world(store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner) -> World:
    material = binance_material()
    cred = CredentialRepository(store, vault, alice.id).add(material, "alice secret label")
    binding = BindingRepository(store, alice.id).add(cred.id, "spot", "alice spot")
    bot = BotRepository(store, alice.id).add("alice bot", binding.id, "BTC/USDT", "dca", {"base_order": "10"})
    bob_cred = CredentialRepository(store, vault, bob.id).add(binance_material(), "bob")
    bob_binding = BindingRepository(store, bob.id).add(bob_cred.id, "spot", "bob spot")
    bobs_bot = BotRepository(store, bob.id).add("bob bot", bob_binding.id, "BTC/USDT", "dca", {})
    return World(alice.id, cred.id, binding.id, bot.id, material, bobs_bot.id)


def test_another_owners_ids_give_nothing_back(store: Store, vault: EnvelopeVault, bob: Owner, world: World) -> None:
    before = _snapshot(store, vault, world.owner)
    secrets_of_alice = [world.owner, world.credential, world.binding, world.bot, "alice secret label", "alice spot"]
    for (cls, name), calls in _calls.items():
        repo = _repo(cls, store, vault, bob.id)
        for call in calls:
            outcome = _outcome(call, repo, world)
            where = f"{cls.__name__}.{name}"
            if isinstance(outcome, NotFound):
                continue
            # Anything shown (a result, or a refusal such as "key already connected") names none of Alice's data.
            assert not any(s in repr(outcome) or s in str(outcome) for s in secrets_of_alice), f"{where} leaks"
            if not isinstance(outcome, StoreError):
                assert name in {"all", "recent", "for_credential"}, f"{where} succeeded on Alice's ids"
    assert _snapshot(store, vault, world.owner) == before
