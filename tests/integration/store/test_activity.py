"""The activity log: every action and secret use recorded, hash-chained per owner, tampering found."""

from __future__ import annotations

from sqlalchemy import delete, event, select, update

from tests.integration.store.support import okx_material
from tradebind.domain.credentials import Owner
from tradebind.store import ActivityRepository, BindingRepository, CredentialRepository, Store, verify
from tradebind.store.tables import ActivityRow
from tradebind.vault import EnvelopeVault


def _history(store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner) -> str:
    creds = CredentialRepository(store, vault, alice.id)
    cred = creds.add(okx_material(), "okx")
    BindingRepository(store, alice.id).add(cred.id, "spot", "spot")
    creds.open(cred.id, purpose="check")
    creds.record_check(cred.id, verdict="CONNECTED", permissions=["read", "trade"], ips=["203.0.113.7"])
    CredentialRepository(store, vault, bob.id).add(okx_material(), "bob okx")
    return cred.id


def test_every_action_is_logged_on_its_owners_chain(
    store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner
) -> None:
    cred_id = _history(store, vault, alice, bob)
    entries = ActivityRepository(store, alice.id).recent()
    assert [e.action for e in reversed(entries)] == [
        "owner.create",
        "credential.add",
        "binding.add",
        "secret.use",
        "credential.check",
    ]
    assert [e.seq for e in reversed(entries)] == [1, 2, 3, 4, 5]
    use = entries[1]
    assert (use.actor, use.credential_id, use.purpose, use.result) == (f"owner:{alice.id}", cred_id, "check", "ok")
    assert entries[0].result == "CONNECTED"
    assert all(e.chain == alice.id for e in entries)
    assert [e.action for e in ActivityRepository(store, bob.id).recent()] == ["credential.add", "owner.create"]
    assert verify(store) == (7, None)


def test_an_altered_entry_is_named_by_verify(store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner) -> None:
    _history(store, vault, alice, bob)
    with store.write() as session:
        target = session.scalars(select(ActivityRow).where(ActivityRow.chain == alice.id, ActivityRow.seq == 4)).one()
        session.execute(update(ActivityRow).where(ActivityRow.id == target.id).values(purpose="innocent"))
    _checked, broken = verify(store)
    assert broken is not None
    assert (broken.chain, broken.seq, broken.entry_id) == (alice.id, 4, target.id)
    assert "altered" in str(broken)


def test_a_removed_entry_or_cut_tail_is_found(store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner) -> None:
    _history(store, vault, alice, bob)
    with store.write() as session:
        session.execute(delete(ActivityRow).where(ActivityRow.chain == alice.id, ActivityRow.seq == 5))
    _, broken = verify(store)
    assert broken is not None
    assert (broken.chain, broken.seq, broken.entry_id) == (alice.id, 5, None)
    assert "removed" in broken.reason

    with store.write() as session:
        session.execute(delete(ActivityRow).where(ActivityRow.chain == alice.id, ActivityRow.seq == 2))
    _, broken = verify(store)
    assert broken is not None
    assert (broken.chain, broken.seq) == (alice.id, 2)
    assert "missing" in broken.reason


def test_concurrent_uses_keep_one_unbroken_chain(store: Store, vault: EnvelopeVault, alice: Owner) -> None:
    from concurrent.futures import ThreadPoolExecutor

    creds = CredentialRepository(store, vault, alice.id)
    cred = creds.add(okx_material(), "okx")
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: creds.open(cred.id, purpose=f"order {i}"), range(24)))
    entries = ActivityRepository(store, alice.id).recent(limit=1000)
    assert sorted(e.seq for e in entries) == list(range(1, 2 + 24 + 1))
    assert sorted(e.purpose for e in entries if e.action == "secret.use") == sorted(f"order {i}" for i in range(24))
    assert verify(store) == (26, None)


def test_verify_during_appends_does_not_report_the_new_entries(
    store: Store, vault: EnvelopeVault, alice: Owner
) -> None:
    creds = CredentialRepository(store, vault, alice.id)
    cred = creds.add(okx_material(), "okx")
    fired: list[bool] = []

    def append_between_heads_and_rows(conn: object, cursor: object, statement: str, *args: object) -> None:
        # verify() has read the chain heads; another process appends before it reads the entries.
        if not fired and statement.lstrip().startswith("SELECT activity.") and "ORDER BY activity.seq" in statement:
            fired.append(True)
            creds.open(cred.id, purpose="order")

    event.listen(store.engine, "before_cursor_execute", append_between_heads_and_rows)
    try:
        checked, broken = verify(store)
    finally:
        event.remove(store.engine, "before_cursor_execute", append_between_heads_and_rows)
    assert fired == [True]
    assert broken is None
    assert checked == 2  # the snapshot: owner.create and credential.add
    assert verify(store) == (3, None)
