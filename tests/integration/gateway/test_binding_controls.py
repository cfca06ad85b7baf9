"""The gateway's store additions (guards, pauses, the sent-order journal, the per-request
snapshot) on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.integration.store.support import binance_material
from tradebind.store import BindingRepository, CredentialRepository, NotFound, OwnerDirectory, Store
from tradebind.store.activity import ActivityRepository
from tradebind.store.binding_controls import BindingControls, BindingGuards, BindingSnapshot, SnapshotReader
from tradebind.store.gateway_tables import SentOrderRow
from tradebind.store.sent_orders import SENT_ORDER_RETENTION, prune_sent_orders
from tradebind.vault import EnvelopeVault, LocalFileKekProvider


class Setup(NamedTuple):
    owner: str
    credential_id: str
    binding_id: str
    credentials: CredentialRepository


@pytest.fixture
def setup(store: Store, tmp_path: Path) -> Setup:
    return _setup(store, tmp_path)


def _setup(store: Store, tmp_path: Path) -> Setup:
    owner = OwnerDirectory(store).create("alice").id
    vault = EnvelopeVault(LocalFileKekProvider(tmp_path / "kek"))
    credentials = CredentialRepository(store, vault, owner)
    credential = credentials.add(binance_material(), "main")
    binding = BindingRepository(store, owner).add(credential.id, "spot", "bots")
    return Setup(owner, credential.id, binding.id, credentials)


def test_snapshot_follows_the_current_version_guards_and_pause(store: Store, setup: Setup) -> None:
    owner, credential_id, binding_id, credentials = setup
    controls = BindingControls(store, owner, actor="gateway")
    first = controls.snapshot(binding_id)
    assert (first.resolved.version, first.guards, first.pause) == (1, BindingGuards(), None)

    credentials.replace_material(credential_id, binance_material())
    controls.set_guards(binding_id, allowed_symbols=["BTC/USDT"], max_order_value="250.5")
    controls.pause(binding_id, verdict="INVALID_KEY", fix="create a new key", version=2)
    now = controls.snapshot(binding_id)
    assert now.resolved.version == 2
    assert now.resolved.version_id != first.resolved.version_id
    assert now.guards == BindingGuards(("BTC/USDT",), Decimal("250.5"))
    assert now.pause is not None
    assert (now.pause.verdict, now.pause.fix, now.pause.version) == ("INVALID_KEY", "create a new key", 2)

    # A second refusal keeps the first reason; a passing check lifts the pause, once.
    controls.pause(binding_id, verdict="IP_NOT_ALLOWED", fix="other", version=2)
    pause = controls.pause_of(binding_id)
    assert pause is not None
    assert pause.verdict == "INVALID_KEY"
    assert controls.resume(binding_id, verdict="CONNECTED") is True
    assert controls.resume(binding_id, verdict="CONNECTED") is False
    assert controls.snapshot(binding_id).pause is None
    actions = [e.action for e in ActivityRepository(store, owner).recent()]
    assert actions[:3] == ["binding.resume", "binding.pause", "binding.guards"]


def test_the_sent_order_journal_says_whether_an_id_was_ever_sent(store: Store, setup: Setup) -> None:
    owner, _, binding_id, _ = setup
    controls = BindingControls(store, owner)
    assert controls.mark_sent(binding_id, "tbabc") is True
    assert controls.mark_sent(binding_id, "tbabc") is False
    assert controls.mark_sent(binding_id, "tbdef") is True


def test_journal_entries_past_their_retention_are_pruned_and_newer_ones_kept(store: Store, setup: Setup) -> None:
    owner, _, binding_id, _ = setup
    controls = BindingControls(store, owner)
    now = datetime.now(UTC)
    with store.write() as session:
        for n in range(5):
            sent_at = now - timedelta(days=8 + n)
            session.add(
                SentOrderRow(binding_id=binding_id, client_order_id=f"tbold{n}", owner_id=owner, sent_at=sent_at)
            )
    controls.mark_sent(binding_id, "tbnew")

    assert prune_sent_orders(store, before=now - SENT_ORDER_RETENTION, batch=2) == 5
    assert prune_sent_orders(store, before=now - SENT_ORDER_RETENTION) == 0

    # A pruned id counts as never sent (placed without a look-up); the recent one is still known.
    assert controls.mark_sent(binding_id, "tbold0") is True
    assert controls.mark_sent(binding_id, "tbnew") is False


def test_another_owners_binding_is_not_found(store: Store, setup: Setup) -> None:
    _, _, binding_id, _ = setup
    mallory = BindingControls(store, OwnerDirectory(store).create("mallory").id)
    for call in (
        lambda: mallory.snapshot(binding_id),
        lambda: mallory.guards(binding_id),
        lambda: mallory.set_guards(binding_id, allowed_symbols=["X/Y"]),
        lambda: mallory.pause(binding_id, verdict="INVALID_KEY", fix="", version=1),
        lambda: mallory.resume(binding_id, verdict="CONNECTED"),
        lambda: mallory.pause_of(binding_id),
    ):
        with pytest.raises(NotFound):
            call()


def test_deleting_the_binding_takes_its_controls_along(store: Store, setup: Setup) -> None:
    owner, _, binding_id, _ = setup
    controls = BindingControls(store, owner)
    controls.set_guards(binding_id, max_order_value="10")
    controls.pause(binding_id, verdict="INVALID_KEY", fix="x", version=1)
    controls.mark_sent(binding_id, "tbabc")
    BindingRepository(store, owner).delete(binding_id)
    with pytest.raises(NotFound):
        controls.snapshot(binding_id)
    with store.engine.connect() as conn:
        for table in ("binding_guards", "binding_pauses", "gateway_sent_orders"):
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0  # noqa: S608


def test_the_gateways_snapshot_reader_reads_what_binding_controls_read(store: Store, setup: Setup) -> None:
    owner, credential_id, binding_id, credentials = setup
    controls = BindingControls(store, owner)
    reader = SnapshotReader(store)
    try:
        assert reader.snapshot(owner, binding_id) == controls.snapshot(binding_id)
        credentials.replace_material(credential_id, binance_material())
        controls.set_guards(binding_id, allowed_symbols=["BTC/USDT", "ETH/USDT"], max_order_value="250.5")
        controls.pause(binding_id, verdict="INVALID_KEY", fix="create a new key", version=2)
        now = reader.snapshot(owner, binding_id)  # the very next read: no cache to go stale
        assert now == controls.snapshot(binding_id)
        assert (now.resolved.version, now.guards.allowed_symbols) == (2, ("BTC/USDT", "ETH/USDT"))
        assert now.pause is not None
        assert now.pause.paused_at.tzinfo is not None
        mallory = OwnerDirectory(store).create("mallory").id
        with pytest.raises(NotFound):
            reader.snapshot(mallory, binding_id)
        BindingRepository(store, owner).delete(binding_id)
        with pytest.raises(NotFound):
            reader.snapshot(owner, binding_id)
    finally:
        reader.close()


# Changes as another process makes them: raw SQL on a connection of its own, no tradebind code.
_OTHER_PROCESS_CHANGES: list[tuple[str, str, Callable[[BindingSnapshot], bool]]] = [
    (
        "bindings",
        "UPDATE bindings SET label = 'renamed' WHERE id = :b",
        lambda s: s.resolved.binding.label == "renamed",
    ),
    (
        "credentials",
        "UPDATE credentials SET exchange_account = 'sub-2'",
        lambda s: s.resolved.exchange_account == "sub-2",
    ),
    (
        "credential_versions",
        "UPDATE credential_versions SET key_id_masked = 'zz…zz'",
        lambda s: s.resolved.key_id_masked == "zz…zz",
    ),
    (
        "binding_guards",
        "INSERT INTO binding_guards (binding_id, owner_id, allowed_symbols, max_order_value, updated_at)"
        " SELECT id, owner_id, '[\"ETH/USDT\"]', NULL, '2026-11-22 00:00:00' FROM bindings WHERE id = :b",
        lambda s: s.guards.allowed_symbols == ("ETH/USDT",),
    ),
    (
        "binding_pauses",
        "INSERT INTO binding_pauses (binding_id, owner_id, verdict, fix, version, paused_at)"
        " SELECT id, owner_id, 'INVALID_KEY', 'new key', 1, '2026-11-22 00:00:00' FROM bindings WHERE id = :b",
        lambda s: s.pause is not None and s.pause.verdict == "INVALID_KEY",
    ),
    ("binding_pauses", "DELETE FROM binding_pauses WHERE binding_id = :b", lambda s: s.pause is None),
]


def test_a_change_another_process_commits_to_any_table_of_the_snapshot_reaches_the_next_read(
    sqlite_store: Store, tmp_path: Path
) -> None:
    # The reader keeps snapshots while the binding generation stands still (SQLite triggers):
    # every table it reads must move the generation, whoever writes it.
    store = sqlite_store
    owner, _, binding_id, _ = _setup(store, tmp_path)
    reader = SnapshotReader(store)
    assert reader.keeps_snapshots
    other = sqlite3.connect(str(store.engine.url.database), isolation_level=None)
    try:
        for table, sql, seen in _OTHER_PROCESS_CHANGES:
            before = reader.snapshot(owner, binding_id)
            assert reader.snapshot(owner, binding_id) is before  # kept while nothing changed
            assert not seen(before), table
            other.execute(sql, {"b": binding_id})
            assert seen(reader.snapshot(owner, binding_id)), f"a change to {table} was not read"
        other.execute("DELETE FROM bindings WHERE id = ?", (binding_id,))
        with pytest.raises(NotFound):
            reader.snapshot(owner, binding_id)
    finally:
        other.close()
        reader.close()


def test_a_reader_on_a_database_missing_a_generation_trigger_reads_fresh(sqlite_store: Store, tmp_path: Path) -> None:
    store = sqlite_store
    owner, _, binding_id, _ = _setup(store, tmp_path)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER binding_generation_bindings_update")
    reader = SnapshotReader(store)
    assert not reader.keeps_snapshots
    other = sqlite3.connect(str(store.engine.url.database), isolation_level=None)
    try:
        assert reader.snapshot(owner, binding_id).resolved.binding.label == "bots"
        other.execute("UPDATE bindings SET label = 'renamed' WHERE id = ?", (binding_id,))
        assert reader.snapshot(owner, binding_id).resolved.binding.label == "renamed"
    finally:
        other.close()
        reader.close()


def test_the_maximum_order_value_reads_back_exactly(store: Store, setup: Setup) -> None:
    # 123.45 has no exact binary float: stored as NUMERIC on SQLite it came back 123.450000000000002842.
    owner, _, binding_id, _ = setup
    controls = BindingControls(store, owner)
    controls.set_guards(binding_id, max_order_value="123.45")
    assert str(controls.guards(binding_id).max_order_value) == "123.45"
    assert str(controls.snapshot(binding_id).guards.max_order_value) == "123.45"


def test_a_kept_snapshot_is_returned_without_sql_until_anyone_commits(sqlite_store: Store, tmp_path: Path) -> None:
    # The commit watch: while the database's WAL-index header stands still, nothing has
    # committed, so the kept snapshot is returned without a statement; one commit anywhere (here
    # another connection's, to a table the snapshot does not read) costs one generation read.
    store = sqlite_store
    owner, _, binding_id, _ = _setup(store, tmp_path)
    reader = SnapshotReader(store)
    statements: list[str] = []
    reader._raw.set_trace_callback(statements.append)  # type: ignore[union-attr]
    other = sqlite3.connect(str(store.engine.url.database), isolation_level=None)
    try:
        assert reader.watches_commits
        first, token = reader.read(owner, binding_id)
        statements.clear()
        for _ in range(5):
            assert reader.read(owner, binding_id) == (first, token)
        assert statements == []
        assert reader.unchanged(token)
        other.execute("INSERT INTO owners (id, name, created_at) SELECT 'someone', 'someone', created_at FROM owners")
        assert not reader.unchanged(token)
        again, moved = reader.read(owner, binding_id)
        assert again is first
        assert moved != token
        assert len(statements) == 1
        assert "binding_generation" in statements[0]
        other.execute("UPDATE bindings SET label = 'renamed' WHERE id = ?", (binding_id,))  # moves the generation
        assert reader.read(owner, binding_id)[0].resolved.binding.label == "renamed"
    finally:
        other.close()
        reader.close()
