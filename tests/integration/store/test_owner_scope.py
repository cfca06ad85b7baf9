"""Every method of every owner-scoped repository, called with another owner's ids, gives nothing back.

The methods are found by introspection: a new public method without an entry in ``_calls`` fails
``test_every_public_method_is_walked``, so none can be forgotten.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

import tradebind.store as store_pkg
from tests.integration.store.support import binance_material
from tradebind.domain.credentials import Owner
from tradebind.domain.key_material import KeyMaterial
from tradebind.store import (
    OWNER_SCOPED_REPOSITORIES,
    ActivityRepository,
    BindingCheckRepository,
    BindingControls,
    BindingRepository,
    BotRepository,
    CredentialRepository,
    DealRepository,
    NotFound,
    Store,
    StoreError,
)
from tradebind.store.scope import OwnerScoped
from tradebind.vault import EnvelopeVault


@dataclass(frozen=True)
class World:
    """Alice's records (the victim's ids) and one bot of Bob's own."""

    owner: str
    credential: str
    binding: str
    bot: str
    deal: str
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
    (BindingCheckRepository, "record"): [lambda r, w: r.record(w.binding, {"verdict": "CONNECTED"})],
    (BindingCheckRepository, "last"): [lambda r, w: r.last(w.binding)],
    (BindingCheckRepository, "list_version"): [lambda r, w: r.list_version()],
    (BindingCheckRepository, "key_list"): [lambda r, w: r.key_list(), lambda r, w: r.key_list(binding_id=w.binding)],
    (BindingControls, "snapshot"): [lambda r, w: r.snapshot(w.binding)],
    (BindingControls, "guards"): [lambda r, w: r.guards(w.binding)],
    (BindingControls, "set_guards"): [lambda r, w: r.set_guards(w.binding, allowed_symbols=["BTC/USDT"])],
    (BindingControls, "pause"): [lambda r, w: r.pause(w.binding, verdict="INVALID_KEY", fix="x", version=1)],
    (BindingControls, "resume"): [lambda r, w: r.resume(w.binding, verdict="CONNECTED")],
    (BindingControls, "pause_of"): [lambda r, w: r.pause_of(w.binding)],
    (BindingControls, "mark_sent"): [lambda r, w: r.mark_sent(w.binding, "tb-stolen-1")],
    (DealRepository, "open_deal"): [lambda r, w: r.open_deal(w.bot)],
    (DealRepository, "get"): [lambda r, w: r.get(w.deal)],
    (DealRepository, "deals"): [lambda r, w: r.deals(w.bot)],
    (DealRepository, "orders"): [lambda r, w: r.orders(w.bot)],
    (DealRepository, "start"): [lambda r, w: r.start(w.bot, "BTC/USDT")],
    (DealRepository, "add_order"): [
        lambda r, w: r.add_order(
            w.deal,
            step="so9",
            client_order_id="tb-stolen-2",
            side="buy",
            kind="limit",
            amount=Decimal("0.001"),
            price=Decimal("60000"),
            reduce_only=False,
        )
    ],
    (DealRepository, "update_order"): [lambda r, w: r.update_order(w.deal, "base", state="canceled")],
    (DealRepository, "close"): [lambda r, w: r.close(w.deal, "stolen")],
}
# Listings of the caller's own records: they may return Bob's things, never Alice's (the repr check).
_OWN_LISTINGS = {"all", "recent", "for_credential", "key_list", "list_version"}
# Look-ups that answer a foreign id with "none" (None or empty) instead of NotFound.
_EMPTY_LOOKUPS = {"last", "pause_of", "open_deal", "deals", "orders"}


def _public_methods(cls: type) -> set[str]:
    return {name for name, member in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def _owner_scoped_classes() -> set[type]:
    """Every OwnerScoped subclass defined anywhere in the store package, imported or not yet."""
    for module in pkgutil.walk_packages(store_pkg.__path__, f"{store_pkg.__name__}."):
        if ".migrations" not in module.name:  # Alembic scripts run only inside Alembic
            importlib.import_module(module.name)
    found: set[type] = set()
    pending = list(OwnerScoped.__subclasses__())
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_public_method_is_walked() -> None:
    found = {(cls, name) for cls in OWNER_SCOPED_REPOSITORIES for name in _public_methods(cls)}
    assert found == set(_calls)
    # Every owner-scoped class in the store is listed, so none escapes this walk.
    assert _owner_scoped_classes() <= set(OWNER_SCOPED_REPOSITORIES)


def _repo(cls: type, store: Store, vault: EnvelopeVault, owner: str) -> Any:
    return cls(store, vault, owner) if cls is CredentialRepository else cls(store, owner)


def _outcome(call: Call, repo: Any, world: World) -> object:
    try:
        return call(repo, world)
    except StoreError as exc:
        return exc


def _snapshot(store: Store, vault: EnvelopeVault, owner: str) -> tuple[object, ...]:
    creds = CredentialRepository(store, vault, owner)
    bots = BotRepository(store, owner).all()
    controls = BindingControls(store, owner)
    bindings = BindingRepository(store, owner).all()
    return (
        creds.all(),
        bindings,
        bots,
        ActivityRepository(store, owner).recent(limit=1000),
        [DealRepository(store, owner).orders(b.id) for b in bots],
        [(controls.guards(b.id), controls.pause_of(b.id)) for b in bindings],
        BindingCheckRepository(store, owner).key_list(),
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
    deals = DealRepository(store, alice.id)
    deal = deals.start(bot.id, "BTC/USDT")
    deals.add_order(
        deal.id,
        step="base",
        client_order_id="tb-alice-base",
        side="buy",
        kind="market",
        amount=Decimal("0.001"),
        price=None,
        reduce_only=False,
    )
    return World(alice.id, cred.id, binding.id, bot.id, deal.id, material, bobs_bot.id)


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
                assert name in _OWN_LISTINGS | _EMPTY_LOOKUPS, f"{where} succeeded on Alice's ids"
                if name in _EMPTY_LOOKUPS:
                    assert not outcome, f"{where} returned {outcome!r} for Alice's ids"
    assert _snapshot(store, vault, world.owner) == before
