"""The activity writer (the gateway's request records): the same chain as every other append,
one transaction per batch with the journal mark it carries, a failed batch leaves nothing behind
(neither entries nor mark) and does not stop the next."""

from __future__ import annotations

from sqlalchemy import text

from tests.integration.store.support import okx_material
from tradebind.domain.credentials import Owner
from tradebind.store import ActivityRepository, CredentialRepository, Store, verify
from tradebind.store.activity import NewEntry
from tradebind.store.activity_writer import ActivityWriter
from tradebind.vault import EnvelopeVault


def _entry(n: int) -> NewEntry:
    details = {"binding": "b-1", "version": 1, "latency_ms": n, "note": "é ✓"}  # non-ASCII: stored as JSON escapes
    return NewEntry(f"bot:bot-{n}", "exchange.request", "ok", "credential-1", f"okx query #{n}", details)


def test_batches_interleave_with_other_appends_on_one_verified_chain(
    store: Store, vault: EnvelopeVault, alice: Owner, bob: Owner
) -> None:
    writer = ActivityWriter(store, fsync_each_commit=False)
    try:
        writer.append({alice.id: [_entry(1), _entry(2)], bob.id: [_entry(3)]})
        CredentialRepository(store, vault, alice.id).add(okx_material(), "okx")  # an ORM append between
        writer.append({alice.id: [_entry(4)]})
    finally:
        writer.close()
    entries = list(reversed(ActivityRepository(store, alice.id).recent()))
    assert [(e.seq, e.action) for e in entries] == [
        (1, "owner.create"),
        (2, "exchange.request"),
        (3, "exchange.request"),
        (4, "credential.add"),
        (5, "exchange.request"),
    ]
    assert entries[1].details == {"binding": "b-1", "version": 1, "latency_ms": 1, "note": "é ✓"}
    first = entries[1]
    assert (first.actor, first.purpose, first.at.tzinfo is not None) == ("bot:bot-1", "okx query #1", True)
    assert [e.details["latency_ms"] for e in ActivityRepository(store, bob.id).recent() if e.seq > 1] == [3]
    checked, broken = verify(store)
    assert broken is None
    assert checked == 7


def test_a_failed_batch_writes_nothing_and_the_next_one_is_written(store: Store, alice: Owner) -> None:
    writer = ActivityWriter(store)
    try:
        assert writer.copied("journal-1") == 0
        writer.append({alice.id: [_entry(1)]}, marks=[("journal-1", 100)])
        with store.write() as session:
            session.execute(text("ALTER TABLE activity_heads RENAME TO activity_heads_away"))
        try:
            writer.append({alice.id: [_entry(2)]}, marks=[("journal-1", 200)])
        except Exception as exc:  # the database's own error, whichever backend
            failed: Exception | None = exc
        else:
            failed = None
        with store.write() as session:
            session.execute(text("ALTER TABLE activity_heads_away RENAME TO activity_heads"))
        assert writer.copied("journal-1") == 100  # the failed batch's mark went with its entries
        writer.append({alice.id: [_entry(3)]}, marks=[("journal-1", 300)])
        assert writer.copied("journal-1") == 300
        writer.forget("journal-1")
        assert writer.copied("journal-1") == 0
    finally:
        writer.close()
    assert failed is not None
    written = [e.details["latency_ms"] for e in ActivityRepository(store, alice.id).recent() if e.seq > 1]
    assert written == [3, 1]
    assert verify(store)[1] is None
