"""Request records: every signed request the gateway sends, written before its result is used.

A :class:`RequestSink` takes one :class:`RequestRecord` and returns once it is durable, or raises
:class:`RecordFailed` (the gateway then fails the request: fail closed). The store implementation
puts ``exchange.request`` entries in the owner's hash-chained activity log: on a SQLite file
through the gateway's request journal (durable at once, copied into the log within 0.5 s), else
by group commit (see :class:`ActivityRequestSink`).

Records name the bot, binding, credential version, endpoint, result and latency; never key
material (the key id is masked upstream, secrets never reach this module).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from ..store import activity
from ..store.activity_writer import ActivityWriter, JournalMark
from ..store.binding_controls import BindingControls
from ..store.engine import Store
from ..store.errors import NotFound
from ..store.sent_orders import SentEntry, SentOrderLookup
from .request_journal import (
    ROTATE_BYTES,
    OrphanJournal,
    RequestJournal,
    any_journal,
    journal_directory,
    journal_exists,
    orphans,
)

__all__ = ["ActivityRequestSink", "CopyTiming", "RecordFailed", "RequestRecord", "RequestSink"]

log = logging.getLogger(__name__)

ACTION = "exchange.request"


class RequestRecord(NamedTuple):
    """One signed request and how it ended (``result``: ``"ok"`` or the verdict / failure).

    A named tuple: one is made for every exchange request, and a frozen dataclass costs about
    three times as much to make."""

    owner_id: str
    binding_id: str
    bot_id: str | None
    credential_id: str
    version: int
    endpoint: str  # the gateway operation and the exchange call, e.g. "place POST /api/v3/order"
    result: str
    latency_ms: int
    details: Mapping[str, str] = MappingProxyType({})
    # When the operation's exchange call was sent (epoch seconds; not stored: the log entry has
    # its own time). Lets a sink order requests around an event, e.g. a key replacement.
    sent_at: float | None = None


class RecordFailed(Exception):
    """The record could not be written; the request's result must not be used."""


class RequestSink(Protocol):
    def record_now(self, entry: RequestRecord) -> Awaitable[None] | None:
        """Take ``entry``: None when it is durable already (journaled), else an awaitable that
        returns once it is durable. Raise :class:`RecordFailed` (at once, or from the awaitable)
        if it cannot be written. Not a coroutine: the gateway calls it on every request, and a
        record journaled at once costs it no coroutine."""
        ...

    async def sent(self, owner_id: str, binding_id: str, client_order_id: str) -> bool:
        """Journal that ``client_order_id`` is about to be sent on the owner's binding: True the
        first time (it was never sent, so no look-up is needed), False if it was journaled before
        (it may exist on the exchange). Raise :class:`RecordFailed` if it cannot be journaled
        (then nothing may be sent), the store's ``NotFound`` if the owner has no such binding."""
        ...

    async def flush(self) -> None:
        """Return once every entry recorded so far is in the activity log (where the cabinet
        shows it); raise :class:`RecordFailed` if some could not be copied there yet."""
        ...

    async def close(self) -> None: ...


class _Taken(NamedTuple):
    """A record on its way to the log: journaled (``at``, epoch seconds, the journal's name and its
    size after it), or waited for by its request (``future``, settled once its batch commits or
    fails)."""

    record: RequestRecord
    at: float | None = None
    end: int = 0
    future: asyncio.Future[None] | None = None
    journal: str | None = None


class _Sent(NamedTuple):
    """A client order id journaled as about to be sent (``at``, epoch seconds, the journal's name
    and its size after it), on its way to the sent-order table."""

    owner_id: str
    binding_id: str
    client_order_id: str
    at: float
    end: int
    journal: str | None

    def entry(self) -> SentEntry:
        return SentEntry(self.owner_id, self.binding_id, self.client_order_id, datetime.fromtimestamp(self.at, UTC))


@dataclass(frozen=True, slots=True)
class _Flush:
    """Queue marker: settle ``future`` once everything before it is in the log."""

    future: asyncio.Future[None]


@dataclass(frozen=True, slots=True)
class _Retired:
    """Queue marker: ``journal`` takes no more lines (the loop writes a new one); remove it once
    everything before this marker is copied."""

    journal: RequestJournal


class ActivityRequestSink:
    """Puts records in the store's activity log, and sent order ids in the sent-order journal table,
    from one writer thread, a transaction per batch.

    On a SQLite file (unless ``power_safe``) a record is durable once it is in the gateway's request
    journal (:mod:`.request_journal`): :meth:`record_now` appends one line to that file and returns
    None, a few microseconds on the event loop instead of a commit (0.2–0.4 ms). So does
    :meth:`sent`: an order id is journaled with one line before the order leaves, instead of a
    synced commit on a store thread before it (0.3–3 ms, and the thread switch), and is "sent
    before" from then on: to this gateway at once (it keeps the ids not yet copied), to every other
    once copied. The writer thread copies the journal's lines into the log and the sent-order table
    once they stop coming for a moment (20 ms) or within 0.5 s, in order, many per transaction, each
    transaction carrying the journal's copy mark; if the database refuses (a long lock, an error),
    it tries again with back-off, and the lines wait in the journal meanwhile. At :meth:`close` a
    fully copied journal is removed. A journal left behind (the process was killed, or the database
    was unwritable at close) is copied from its mark by the next sink on the same database, before
    its own lines: as soon as that sink is made if a journal is there (its :meth:`sent` waits for
    that copy, and counts the ids of a journal it could not copy as sent), else at its first line (a
    mark whose journal is gone is dropped then too); a live sink also looks for such journals every
    5 s. Durability is the log's own on SQLite: its commits use ``synchronous=NORMAL`` under WAL
    (SQLite docs, pragma.html#pragma_synchronous and wal.html), so a committed line, like a
    journaled one, survives a crash of the process or of the service but may be lost to a power loss
    or an OS crash. Any later durable write (deals, keys: ``synchronous=FULL``) fsyncs the log's
    commits made before it, and so a journaled line too once it has been copied; a power loss within
    those 0.5 s may lose a record whose result a durable write used, or an order id sent meanwhile.
    The caller's own record of the order, written durably before it asked (the runner's ``pending``
    order), is what finds such an order again, as after any crash: the runner looks every pending
    order up by client id before it acts.

    Elsewhere (PostgreSQL, SQLite in memory) and with ``power_safe``, :meth:`record_now` hands back
    a future to wait on (:meth:`record` waits on it), settled by the commit of the batch holding its
    entry (group commit: N requests at once cost about one commit); if the commit fails, every
    record of that batch fails. ``power_safe`` commits with ``synchronous=FULL`` (an fsync per
    batch); PostgreSQL as configured (``synchronous_commit``). There :meth:`sent` is
    :meth:`BindingControls.mark_sent <tradebind.store.binding_controls.BindingControls.mark_sent>`
    on a thread: a synced commit before the order leaves.

    Use from one event loop (the gateway's).
    """

    def __init__(self, store: Store, *, max_batch: int = 500, power_safe: bool = False) -> None:
        self._store = store
        self._writer = ActivityWriter(store, fsync_each_commit=power_safe)
        sqlite_file = store.sqlite_file
        self._directory = journal_directory(sqlite_file) if sqlite_file is not None and not power_safe else None
        self._journal: RequestJournal | None = None
        self._lookup = SentOrderLookup.open(store) if self._directory is not None else None
        # (binding, client order id) journaled as sent but not in the sent-order table yet: this
        # gateway's, and those of journals left behind that could not be copied. Set operations
        # are atomic: the loop adds and reads, the writer thread adds and discards.
        self._unsettled: set[tuple[str, str]] = set()
        self._orphans_seen = threading.Event()  # journals left behind at the start: copied or counted
        self._max_batch = max_batch
        # Handed to the writer thread (deque operations are atomic). Journaled lines do not
        # wake it (a request costs the loop no thread switch): it looks for them every _TICK_S.
        self._items: collections.deque[_Taken | _Sent | _Flush | _Retired | None] = collections.deque()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        if self._directory is not None and any_journal(self._directory):
            self._start()  # a gateway that ended left its journal: copy it now, not at our first record
        else:
            self._orphans_seen.set()

    async def record(self, entry: RequestRecord) -> None:
        """Return once ``entry`` is durable (:meth:`record_now`, awaited)."""
        waiting = self.record_now(entry)
        if waiting is not None:
            await waiting

    def record_now(self, entry: RequestRecord) -> asyncio.Future[None] | None:
        if self._closed:
            raise RecordFailed("the activity record could not be written: the gateway is closing")
        if self._directory is None:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._to_thread(_Taken(entry, future=future))
            return future
        at = time.time()
        journal, end, opened = self._journal_line(_fields(entry, at))
        self._to_thread(_Taken(entry, at, end, journal=journal), wake=opened)
        return None

    async def sent(self, owner_id: str, binding_id: str, client_order_id: str) -> bool:
        if self._closed:
            raise RecordFailed("the order could not be journaled: the gateway is closing")
        if self._directory is None or self._lookup is None:
            return await asyncio.to_thread(self._mark_sent, owner_id, binding_id, client_order_id)
        if not self._orphans_seen.is_set():  # only right after a start that found journals left behind
            await asyncio.to_thread(self._orphans_seen.wait)
        # This gateway's ids first, then the table: an id leaves the first only once it is in the
        # second, so it is never missed between the two looks.
        key = (binding_id, client_order_id)
        if key in self._unsettled or self._lookup.journaled(binding_id, client_order_id):
            return False
        at = time.time()
        line = {"at": at, "sent": client_order_id, "binding": binding_id, "owner": owner_id}
        journal, end, opened = self._journal_line(line)
        self._to_thread(_Sent(owner_id, binding_id, client_order_id, at, end, journal), wake=opened)
        self._unsettled.add(key)
        return True

    async def flush(self) -> None:
        if self._thread is None:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._to_thread(_Flush(future))
        await future

    async def close(self) -> None:
        """Copy or write the lines in flight, then end the journal, connections and thread
        (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._lookup is not None:
            self._lookup.close()
        if self._thread is None:
            self._writer.close()
            return
        self._to_thread(None)
        await asyncio.to_thread(self._thread.join)

    def _journal_line(self, fields: dict[str, Any]) -> tuple[str, int, bool]:
        """Append ``fields`` to the journal: its name, its size after the line, and whether the
        line opened it (then queueing the line wakes the writer thread, which from then on looks
        at the journal every _TICK_S). RecordFailed if the line could not be written (nothing of
        it is then in the journal)."""
        assert self._directory is not None
        journal = self._journal
        opened = journal is None
        try:
            if journal is None or journal.size >= ROTATE_BYTES:
                full, journal = journal, RequestJournal(self._directory)
                if full is not None:  # after its last line: removed once all of it is copied
                    self._to_thread(_Retired(full), wake=False)
                self._journal = journal
            end = journal.append(fields)
        except OSError as exc:
            log.warning("line not written to the request journal: %s", type(exc).__name__)
            raise RecordFailed(_NOT_WRITTEN) from None
        return journal.name, end, opened

    def _mark_sent(self, owner_id: str, binding_id: str, client_order_id: str) -> bool:
        try:
            return BindingControls(self._store, owner_id, actor="gateway").mark_sent(binding_id, client_order_id)
        except NotFound:
            raise
        except Exception as exc:  # any database failure: not journaled, so not to be sent
            log.warning("order id not journaled: %s", type(exc).__name__)
            raise RecordFailed("the order could not be journaled") from None

    def _to_thread(self, item: _Taken | _Sent | _Flush | _Retired | None, *, wake: bool = True) -> None:
        self._items.append(item)
        if wake:
            self._wake.set()
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tradebind-records", daemon=True)
        self._thread.start()

    # -- the writer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        """Batches until the closing marker; journaled lines that fail stay and are retried."""
        kept: list[_Taken | _Sent] = []  # journaled lines not yet copied (their copy failed)
        retired: list[RequestJournal] = []  # full journals to remove once all of them is copied
        delay = 0.0
        timing = CopyTiming()
        swept = time.monotonic()
        try:
            if self._directory is not None:
                self._copy_orphans(self._directory, sweep_marks=True)
            self._orphans_seen.set()
            while True:
                # Records waited for, flushes, closing and the journal's first line wake the
                # thread; journaled lines are looked at every _TICK_S and copied when CopyTiming
                # says. The journal is opened on the loop at the first line.
                woken = self._wake.wait(delay or (_TICK_S if self._journal is not None else None))
                self._wake.clear()
                now = time.monotonic()
                if self._directory is not None and now - swept >= _SWEEP_S:
                    swept = now
                    self._copy_orphans(self._directory, sweep_marks=False)  # a gateway that died since
                if not (woken or delay or timing.due(len(self._items), now)):
                    continue
                stop = False
                while True:  # everything that has come, in batches, unless a copy fails
                    batch, flushes, ended, stop = self._gather()
                    retired += ended
                    batch = kept + batch
                    written = not batch or self._write(batch)
                    kept = [] if written else [i for i in batch if i.journal is not None]
                    if not kept:
                        for journal in retired:
                            self._end_journal(journal, copied=True)
                        retired = []
                    _settle([f.future for f in flushes], written, _NOT_COPIED)
                    if stop or kept or not self._items:
                        break
                delay = 0.0 if not kept else min(max(delay * 2, 0.05), 2.0)
                if stop:
                    return
        finally:
            self._orphans_seen.set()
            self._writer.close()
            for journal in [*retired, *([self._journal] if self._journal is not None else [])]:
                self._end_journal(journal, copied=not kept)

    def _gather(self) -> tuple[list[_Taken | _Sent], list[_Flush], list[RequestJournal], bool]:
        """What has come, up to a flush marker (its lines first), the closing marker or
        ``max_batch`` lines, and the journals retired among it."""
        batch: list[_Taken | _Sent] = []
        ended: list[RequestJournal] = []
        while len(batch) < self._max_batch:
            try:
                item = self._items.popleft()
            except IndexError:
                break
            if item is None:
                return batch, [], ended, True
            if isinstance(item, _Flush):
                return batch, [item], ended, False
            if isinstance(item, _Retired):
                ended.append(item.journal)
            else:
                batch.append(item)
        return batch, [], ended, False

    def _write(self, batch: Sequence[_Taken | _Sent]) -> bool:
        """One transaction; it moves the mark of each journal the lines come from, waited-for
        records are settled."""
        written = _append(self._writer, batch, _marks(batch))
        if written:
            self._unsettled.difference_update((s.binding_id, s.client_order_id) for s in batch if isinstance(s, _Sent))
        _settle([t.future for t in batch if isinstance(t, _Taken) and t.future is not None], written, _NOT_WRITTEN)
        return written

    def _copy_orphans(self, directory: Path, *, sweep_marks: bool) -> None:
        """Copy the journals other gateways left behind, from their marks, then remove them; with
        ``sweep_marks``, drop the marks of journals that are gone (a crash between removing a
        journal and its mark). Their order ids count as sent from the moment they are read, before
        the copy (which may wait for the database, or fail and be left for later)."""
        # Marks first, files after: a live journal's file exists from before its first mark until
        # all of it is copied, so a mark read here whose file is missing below is done with.
        marked: list[str] = []
        if sweep_marks:
            try:
                marked = self._writer.marked()
            except Exception as exc:  # the sweep waits for the next sink; the orphans are still copied
                log.warning("request journal marks not read (%s)", type(exc).__name__)
        held = list(orphans(directory))  # each locked for us until released
        try:
            found: list[tuple[OrphanJournal, list[tuple[_Taken | _Sent | None, int]], set[tuple[str, str]]]] = []
            for orphan in held:
                try:
                    lines = [(_parsed(f, end), end) for f, end in orphan.lines(self._writer.copied(orphan.name))]
                except Exception as exc:  # left for a later sweep
                    log.warning("request journal %s not read (%s); kept for later", orphan.name, type(exc).__name__)
                    continue
                sent = {(i.binding_id, i.client_order_id) for i, _ in lines if isinstance(i, _Sent)}
                self._unsettled.update(sent)
                found.append((orphan, lines, sent))
            self._orphans_seen.set()
            for orphan, lines, sent in found:
                try:
                    for start in range(0, len(lines), self._max_batch):
                        chunk = lines[start : start + self._max_batch]
                        items = [i for i, _ in chunk if i is not None]
                        _write_or_raise(self._writer, items, marks=[(orphan.name, chunk[-1][1])])
                    orphan.remove()
                    self._writer.forget(orphan.name)
                    self._unsettled.difference_update(sent)
                    log.info("request journal %s of an ended gateway copied into the activity log", orphan.name)
                except Exception as exc:  # left for a later sweep: its mark says how far it got
                    log.warning("request journal %s not copied (%s); kept for later", orphan.name, type(exc).__name__)
        finally:
            for orphan in held:
                orphan.release()
        gone = [name for name in marked if not journal_exists(directory, name)]
        if gone:
            with contextlib.suppress(Exception):  # harmless if left: the next sink tries again
                self._writer.forget(*gone)

    def _end_journal(self, journal: RequestJournal, *, copied: bool) -> None:
        if not copied:
            log.warning("request journal %s kept: not all of it is in the activity log yet", journal.name)
            journal.close(remove=False)
            return
        journal.close(remove=True)
        with contextlib.suppress(Exception):  # a mark left behind names a journal that is gone
            self._writer.forget(journal.name)


class CopyTiming:
    """When journaled records are due for their copy, asked once a tick: once none came since the
    last tick, or once the first of them has waited ``within_s``. So a burst of requests is copied
    right after it ends, instead of its own copy taking the interpreter lock from its last
    requests, and under steady traffic the log still lags by ``within_s`` at most."""

    def __init__(self, within_s: float = 0.5) -> None:
        self._within_s = within_s
        self._seen = 0  # records waiting at the last tick
        self._since = 0.0  # when records were first seen waiting

    def due(self, waiting: int, now: float) -> bool:
        """Whether the ``waiting`` records (as seen at ``now``, monotonic seconds) are due."""
        if waiting and not self._seen:
            self._since = now
        due = waiting > 0 and (waiting == self._seen or now - self._since >= self._within_s)
        self._seen = 0 if due else waiting
        return due


_TICK_S = 0.02  # how often the writer thread looks at the journaled lines
_SWEEP_S = 5.0  # how often a live sink looks for journals of gateways that ended


def _marks(batch: Sequence[_Taken | _Sent]) -> list[JournalMark]:
    """Each journal of the batch's lines, with the end of its last line in the batch."""
    ends: dict[str, int] = {}
    for item in batch:
        if item.journal is not None:
            ends[item.journal] = item.end
    return list(ends.items())


def _append(writer: ActivityWriter, batch: Sequence[_Taken | _Sent], marks: Sequence[JournalMark]) -> bool:
    """One transaction, one chain append per owner; False if it failed (logged)."""
    try:
        _write_or_raise(writer, batch, marks=marks)
    except Exception as exc:  # any database failure: the batch is not in the log
        log.warning("request journal lines not copied (%s): %s", len(batch), type(exc).__name__)
        return False
    return True


def _write_or_raise(writer: ActivityWriter, batch: Sequence[_Taken | _Sent], *, marks: Sequence[JournalMark]) -> None:
    """One transaction: the batch's records by owner chain, its order ids, and ``marks``."""
    records = [t for t in batch if isinstance(t, _Taken)]
    sent = [s.entry() for s in batch if isinstance(s, _Sent)]
    writer.append(_chains(records), marks=marks, sent=sent)


def _chains(batch: Sequence[_Taken]) -> dict[str, list[activity.NewEntry]]:
    """The batch's entries by owner chain, in order."""
    chains: dict[str, list[activity.NewEntry]] = {}
    for taken in batch:
        e = taken.record
        chains.setdefault(e.owner_id, []).append(
            activity.NewEntry(
                actor=f"bot:{e.bot_id}" if e.bot_id else "gateway",
                action=ACTION,
                result=e.result[:200],
                credential_id=e.credential_id,
                purpose=e.endpoint[:200],
                details={"binding": e.binding_id, "version": e.version, "latency_ms": e.latency_ms, **e.details},
                at=None if taken.at is None else datetime.fromtimestamp(taken.at, UTC),
            )
        )
    return chains


def _fields(record: RequestRecord, at: float) -> dict[str, Any]:
    """A record as a journal line (``at``: epoch seconds)."""
    return {
        "at": at,
        "owner": record.owner_id,
        "binding": record.binding_id,
        "bot": record.bot_id,
        "credential": record.credential_id,
        "version": record.version,
        "endpoint": record.endpoint,
        "result": record.result,
        "latency_ms": record.latency_ms,
        "details": dict(record.details),
    }


def _parsed(fields: dict[str, Any], end: int) -> _Taken | _Sent | None:
    """A journal line as a record or a sent order id (None, logged, for a line that is neither)."""
    try:
        if "sent" in fields:
            binding, owner = str(fields["binding"]), str(fields["owner"])
            return _Sent(owner, binding, str(fields["sent"]), _epoch(fields["at"]), end, None)
        record = RequestRecord(
            owner_id=str(fields["owner"]),
            binding_id=str(fields["binding"]),
            bot_id=None if fields["bot"] is None else str(fields["bot"]),
            credential_id=str(fields["credential"]),
            version=int(fields["version"]),
            endpoint=str(fields["endpoint"]),
            result=str(fields["result"]),
            latency_ms=int(fields["latency_ms"]),
            details={str(k): str(v) for k, v in dict(fields["details"]).items()},
        )
        return _Taken(record, _epoch(fields["at"]), end)
    except (KeyError, TypeError, ValueError):
        log.warning("a request journal line that is neither a record nor an order id skipped")
        return None


def _epoch(at: object) -> float:
    """A journal line's time: epoch seconds, or ISO 8601 text as journals of earlier versions
    wrote it (one may be left behind by a gateway that was killed before an upgrade)."""
    if isinstance(at, int | float) and not isinstance(at, bool):
        return float(at)
    moment = datetime.fromisoformat(str(at))
    if moment.tzinfo is None:
        raise ValueError("a journal time without its zone")
    return moment.timestamp()


_NOT_WRITTEN = "the activity record could not be written"
_NOT_COPIED = "records are not in the activity log yet; they are kept"


def _settle(futures: Sequence[asyncio.Future[None]], written: bool, failure: str) -> None:
    """From the writer thread: settle ``futures``, waking each waiting loop once for all of them."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for future in futures:
        by_loop.setdefault(future.get_loop(), []).append(future)
    for loop, waiting in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_resolve, waiting, written, failure)


def _resolve(futures: Sequence[asyncio.Future[None]], written: bool, failure: str) -> None:
    for future in futures:
        if future.done():  # its waiter was cancelled
            continue
        if written:
            future.set_result(None)
        else:
            future.set_exception(RecordFailed(failure))
