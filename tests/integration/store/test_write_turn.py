"""Writers of one process take turns on SQLite: woken in turn, never failing with "database is
locked", re-entrant for a thread that already writes, and a clear error after the wait limit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tradebind.store import OwnerDirectory, Store
from tradebind.store import engine as store_engine
from tradebind.store.activity import ActivityRepository, verify
from tradebind.store.errors import NotFound, StoreBusy


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'turns.sqlite3'}")
    yield store
    store.close()


def test_many_threads_writing_at_once_all_land_on_an_intact_chain(store: Store) -> None:
    """Runs on SQLite and PostgreSQL (``store`` fixture): 8 threads × 25 owners, no write lost."""

    def create(n: int) -> str:
        return OwnerDirectory(store).create(f"owner-{n:03d}").id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, range(200)))
    directory = OwnerDirectory(store)
    assert [directory.get(i).name for i in ids] == [f"owner-{n:03d}" for n in range(200)]
    assert verify(store) == (200, None)  # one intact chain entry per owner created


def test_a_writer_waits_for_the_turn_and_writes_as_soon_as_it_is_released(sqlite_store: Store) -> None:
    done = threading.Event()

    def create() -> None:
        OwnerDirectory(sqlite_store).create("waiting")
        done.set()

    with sqlite_store.write_turn():
        writer = threading.Thread(target=create)
        writer.start()
        assert not done.wait(0.3), "wrote while another writer of the process held the turn"
    writer.join(10)
    assert done.is_set()
    assert OwnerDirectory(sqlite_store).by_name("waiting").name == "waiting"


def test_a_thread_holding_the_turn_can_write(sqlite_store: Store) -> None:
    with sqlite_store.write_turn():
        owner = OwnerDirectory(sqlite_store).create("nested")
    assert ActivityRepository(sqlite_store, owner.id).recent()


def test_a_writer_gives_up_with_a_clear_error_and_writes_nothing(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_engine, "WRITE_WAIT_S", 0.2)
    errors: list[BaseException] = []

    def create() -> None:
        try:
            OwnerDirectory(sqlite_store).create("too-late")
        except StoreBusy as exc:
            errors.append(exc)

    with sqlite_store.write_turn():
        writer = threading.Thread(target=create)
        writer.start()
        writer.join(10)
    assert [str(e) for e in errors] == ["the database is busy with other writes; try again"]
    with pytest.raises(NotFound):
        OwnerDirectory(sqlite_store).by_name("too-late")
