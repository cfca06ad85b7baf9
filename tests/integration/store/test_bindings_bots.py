"""Bindings (one per market per credential) and bots (many per binding); in-use deletes are refused."""

from __future__ import annotations

import pytest

from tests.integration.store.support import binance_material
from tradebind.domain.credentials import BotState, Owner
from tradebind.domain.market import Market
from tradebind.store import BindingRepository, BotRepository, Conflict, CredentialRepository, InUse, Invalid, Store
from tradebind.vault import EnvelopeVault


@pytest.fixture
def setup(
    store: Store, vault: EnvelopeVault, alice: Owner
) -> tuple[CredentialRepository, BindingRepository, BotRepository]:
    return (
        CredentialRepository(store, vault, alice.id),
        BindingRepository(store, alice.id),
        BotRepository(store, alice.id),
    )


def test_one_binding_per_market_per_credential(
    setup: tuple[CredentialRepository, BindingRepository, BotRepository],
) -> None:
    creds, bindings, _ = setup
    cred = creds.add(binance_material(), "main")
    spot = bindings.add(cred.id, "spot", "spot")
    futures = bindings.add(cred.id, "futures", "futures")
    assert (spot.market, futures.market) == (Market.SPOT, Market.FUTURES)

    with pytest.raises(Conflict, match="market: this credential already has a spot binding") as err:
        bindings.add(cred.id, "spot", "second spot")
    assert err.value.field == "market"
    with pytest.raises(Invalid, match="market: must be one of spot, futures"):
        bindings.add(cred.id, "margin", "x")
    assert bindings.all(credential_id=cred.id) == [spot, futures]
    # Another credential may have its own spot binding.
    other = creds.add(binance_material(), "other")
    assert bindings.add(other.id, "spot", "other spot").credential_id == other.id


def test_many_bots_share_a_binding_and_keep_their_parameters(
    setup: tuple[CredentialRepository, BindingRepository, BotRepository],
) -> None:
    creds, bindings, bots = setup
    binding = bindings.add(creds.add(binance_material(), "main").id, "spot", "spot")
    params = {"base_order": "10", "safety_orders": 5, "steps": [1.5, 2.0], "trailing": True}
    dca = bots.add("dca btc", binding.id, "BTC/USDT", "dca", params)
    grid = bots.add("dca eth", binding.id, "ETH/USDT", "dca", {"base_order": "20"})

    assert dca.state is BotState.STOPPED
    assert bots.get(dca.id).params == params
    assert [b.name for b in bots.all(binding_id=binding.id)] == ["dca btc", "dca eth"]
    assert bots.set_state(grid.id, "running").state is BotState.RUNNING
    assert bots.configure(dca.id, params={"base_order": "11"}).params == {"base_order": "11"}

    with pytest.raises(Invalid, match="params: must be a JSON object"):
        bots.add("bad", binding.id, "BTC/USDT", "dca", {"when": object()})
    with pytest.raises(Invalid, match="state: must be one of"):
        bots.set_state(dca.id, "sleeping")
    with pytest.raises(Conflict, match="state: stop the bot before deleting it"):
        bots.delete(grid.id)


def test_deleting_a_binding_in_use_lists_running_bots_until_they_stop(
    setup: tuple[CredentialRepository, BindingRepository, BotRepository],
) -> None:
    creds, bindings, bots = setup
    binding = bindings.add(creds.add(binance_material(), "main").id, "spot", "spot")
    a = bots.add("alpha", binding.id, "BTC/USDT", "dca", {})
    b = bots.add("beta", binding.id, "ETH/USDT", "dca", {})
    bots.set_state(a.id, "running")
    bots.set_state(b.id, "paused")

    with pytest.raises(InUse) as err:
        bindings.delete(binding.id)
    assert err.value.bots == ("alpha", "beta")
    assert "alpha, beta" in str(err.value)
    assert bindings.get(binding.id) == binding

    bots.set_state(a.id, "stopped")
    bots.set_state(b.id, "stopped")
    bindings.delete(binding.id)
    assert bindings.all() == []
    assert bots.get(a.id).binding_id is None
    with pytest.raises(Conflict, match="state: the bot has no binding"):
        bots.set_state(a.id, "running")


def test_deleting_a_credential_in_use_lists_the_bots_of_all_its_bindings(
    setup: tuple[CredentialRepository, BindingRepository, BotRepository],
) -> None:
    creds, bindings, bots = setup
    cred = creds.add(binance_material(), "main")
    spot = bindings.add(cred.id, "spot", "spot")
    futures = bindings.add(cred.id, "futures", "futures")
    s = bots.add("spot bot", spot.id, "BTC/USDT", "dca", {})
    f = bots.add("futures bot", futures.id, "BTC/USDT:USDT", "dca", {})
    bots.set_state(s.id, "running")
    bots.set_state(f.id, "failed")

    with pytest.raises(InUse) as err:
        creds.delete(cred.id)
    assert err.value.bots == ("futures bot", "spot bot")
    assert creds.get(cred.id).id == cred.id

    bots.set_state(s.id, "stopped")
    bots.set_state(f.id, "stopped")
    creds.delete(cred.id)
    assert bindings.all() == []
    assert {b.binding_id for b in bots.all()} == {None}
