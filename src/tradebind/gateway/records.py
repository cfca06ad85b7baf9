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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..store import activity
from ..store.activity_writer import ActivityWriter, JournalMark
from ..store.engine import Store
from ..store.tables import utcnow
from .request_journal import RequestJournal, any_journal, journal_directory, journal_exists, orphans

__all__ = ["ActivityRequestSink", "CopyTiming", "RecordFailed", "RequestRecord", "RequestSink"]

log = logging.getLogger(__name__)

ACTION = "exchange.request"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One signed request and how it ended (``result``: ``"ok"`` or the verdict / failure)."""

    owner_id: str
    binding_id: str
    bot_id: str | None
    credential_id: str
    version: int
    endpoint: str  # the gateway operation and the exchange call, e.g. "place POST /api/v3/order"
    result: str
    latency_ms: int
    details: Mapping[str, str] = field(default_factory=dict)
    # When the operation's exchange call was sent (epoch seconds; not stored: the log entry has
    # its own time). Lets a sink order requests around an event, e.g. a key replacement.
    sent_at: float | None = None


class RecordFailed(Exception):
    """The record could not be written; the request's result must not be used."""


class RequestSink(Protocol):
    async def record(self, entry: RequestRecord) -> None:
        """Return once ``entry`` is durable; raise :class:`RecordFailed` otherwise."""
        ...

    async def flush(self) -> None:
        """Return once every entry recorded so far is in the activity log (where the cabinet
        shows it); raise :class:`RecordFailed` if some could not be copied there yet."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Taken:
    """A record on its way to the log: journaled (``at`` and the journal's size after it), or
    waited for by its request (``future``, settled once its batch commits or fails)."""

    record: RequestRecord
    at: datetime | None = None
    end: int = 0
    future: asyncio.Future[None] | None = None


@dataclass(frozen=True, slots=True)
class _Flush:
    """Queue marker: settle ``future`` once everything before it is in the log."""

    future: asyncio.Future[None]


class ActivityRequestSink:
    """Puts records in the store's activity log, from one writer thread, a transaction per batch.

    On a SQLite file (unless ``power_safe``) a record is durable once it is in the gateway's request
    journal (:mod:`.request_journal`): :meth:`record` appends one line to that file and returns, a
    few microseconds on the event loop instead of a commit (0.2–0.4 ms). The writer thread copies
    the journal's records into the log once they stop coming for a moment (20 ms) or within 0.5 s,
    in order, many per transaction, each transaction carrying the journal's copy mark; if the
    database refuses (a long lock, an error), it tries again with back-off, and the records wait in
    the journal meanwhile. At :meth:`close` a fully copied journal is removed. A journal left behind
    (the process was killed, or the database was unwritable at close) is copied from its mark by the
    next sink on the same database, before its own records: as soon as that sink is made if a
    journal is there, else at its first record (a mark whose journal is gone is dropped then too).
    Durability is the log's own on SQLite: its commits use ``synchronous=NORMAL`` under WAL (SQLite
    docs, pragma.html#pragma_synchronous and wal.html), so a committed record, like a journaled one,
    survives a crash of the process or of the service but may be lost to a power loss or an OS
    crash. Any later durable write (the sent-order journal, deals, keys: ``synchronous=FULL``)
    fsyncs the log's commits made before it, and so a journaled record too once it has been
    copied; a power loss within those 0.5 s may lose a record whose result a durable write used.

    Elsewhere (PostgreSQL, SQLite in memory) and with ``power_safe``, :meth:`record` waits for
    the commit of the batch holding its entry (group commit: N requests at once cost about one
    commit); if the commit fails, every record of that batch fails. ``power_safe`` commits with
    ``synchronous=FULL`` (an fsync per batch); PostgreSQL as configured (``synchronous_commit``).

    Use from one event loop (the gateway's).
    """

    def __init__(self, store: Store, *, max_batch: int = 500, power_safe: bool = False) -> None:
        self._writer = ActivityWriter(store, fsync_each_commit=power_safe)
        sqlite_file = store.sqlite_file
        self._directory = journal_directory(sqlite_file) if sqlite_file is not None and not power_safe else None
        self._journal: RequestJournal | None = None
        self._max_batch = max_batch
        # Handed to the writer thread (deque operations are atomic). Journaled records do not
        # wake it (a request costs the loop no thread switch): it looks for them every _TICK_S.
        self._items: collections.deque[_Taken | _Flush | None] = collections.deque()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        if self._directory is not None and any_journal(self._directory):
            self._start()  # a gateway that ended left its journal: copy it now, not at our first record

    async def record(self, entry: RequestRecord) -> None:
        if self._closed:
            raise RecordFailed("the activity record could not be written: the gateway is closing")
        if self._directory is None:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._to_thread(_Taken(entry, future=future))
            await future
            return
        at = utcnow()
        opened = self._journal is None
        try:
            journal = self._journal or self._open_journal(self._directory)
            end = journal.append(_fields(entry, at))
        except OSError as exc:
            log.warning("request record not written to the journal: %s", type(exc).__name__)
            raise RecordFailed(_NOT_WRITTEN) from None
        # The first record wakes the thread, which then looks at the journal every _TICK_S.
        self._to_thread(_Taken(entry, at, end), wake=opened)

    async def flush(self) -> None:
        if self._thread is None:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._to_thread(_Flush(future))
        await future

    async def close(self) -> None:
        """Copy or write the records in flight, then end the journal, connection and thread
        (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._thread is None:
            self._writer.close()
            return
        self._to_thread(None)
        await asyncio.to_thread(self._thread.join)

    def _open_journal(self, directory: Path) -> RequestJournal:
        self._journal = RequestJournal(directory)
        return self._journal

    def _to_thread(self, item: _Taken | _Flush | None, *, wake: bool = True) -> None:
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
        """Batches until the closing marker; journaled records that fail stay and are retried."""
        kept: list[_Taken] = []  # journaled records not yet in the log (their copy failed)
        delay = 0.0
        timing = CopyTiming()
        try:
            if self._directory is not None:
                self._copy_orphans(self._directory)
            while True:
                # Records waited for, flushes, closing and the journal's first record wake the
                # thread; journaled records are looked at every _TICK_S and copied when
                # CopyTiming says. The journal is opened on the loop at the first record.
                woken = self._wake.wait(delay or (_TICK_S if self._journal is not None else None))
                self._wake.clear()
                journal = self._journal  # read after the wait: set before any record it holds is queued
                if not (woken or delay or timing.due(len(self._items), time.monotonic())):
                    continue
                stop = False
                while True:  # everything that has come, in batches, unless a copy fails
                    batch, flushes, stop = self._gather()
                    batch = kept + batch
                    written = not batch or self._write(batch, journal)
                    kept = [] if written or journal is None else batch
                    _settle([f.future for f in flushes], written, _NOT_COPIED)
                    if stop or kept or not self._items:
                        break
                delay = 0.0 if not kept else min(max(delay * 2, 0.05), 2.0)
                if stop:
                    return
        finally:
            self._writer.close()
            if self._journal is not None:
                self._end_journal(self._journal, copied=not kept)

    def _gather(self) -> tuple[list[_Taken], list[_Flush], bool]:
        """What has come, up to a flush marker (its records first), the closing marker or
        ``max_batch`` records."""
        batch: list[_Taken] = []
        while len(batch) < self._max_batch:
            try:
                item = self._items.popleft()
            except IndexError:
                break
            if item is None:
                return batch, [], True
            if isinstance(item, _Flush):
                return batch, [item], False
            batch.append(item)
        return batch, [], False

    def _write(self, batch: Sequence[_Taken], journal: RequestJournal | None) -> bool:
        """One transaction; journaled records carry the mark, waited-for ones are settled."""
        mark: JournalMark | None = (journal.name, batch[-1].end) if journal is not None else None
        written = _append(self._writer, batch, mark)
        _settle([t.future for t in batch if t.future is not None], written, _NOT_WRITTEN)
        return written

    def _copy_orphans(self, directory: Path) -> None:
        """Copy the journals other gateways left behind, from their marks, then remove them; drop
        the marks of journals that are gone (a crash between removing a journal and its mark)."""
        # Marks first, files after: a live journal's file exists from before its first mark until
        # all of it is copied, so a mark read here whose file is missing below is done with.
        try:
            marked = self._writer.marked()
        except Exception as exc:  # the sweep waits for the next sink; the orphans are still copied
            log.warning("request journal marks not read (%s)", type(exc).__name__)
            marked = []
        for orphan in orphans(directory):
            try:
                batch: list[_Taken] = []
                for fields, end in orphan.lines(self._writer.copied(orphan.name)):
                    taken = _parsed(fields, end)
                    if taken is not None:
                        batch.append(taken)
                    if len(batch) >= self._max_batch:
                        self._writer.append(_chains(batch), mark=(orphan.name, end))
                        batch = []
                if batch:
                    self._writer.append(_chains(batch), mark=(orphan.name, batch[-1].end))
                orphan.remove()
                self._writer.forget(orphan.name)
                log.info("request journal %s of an ended gateway copied into the activity log", orphan.name)
            except Exception as exc:  # left for the next sink: its mark says how far it got
                log.warning("request journal %s not copied (%s); kept for later", orphan.name, type(exc).__name__)
            finally:
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


_TICK_S = 0.02  # how often the writer thread looks at the journaled records


def _append(writer: ActivityWriter, batch: Sequence[_Taken], mark: JournalMark | None) -> bool:
    """One transaction, one chain append per owner; False if it failed (logged)."""
    try:
        writer.append(_chains(batch), mark=mark)
    except Exception as exc:  # any database failure: the batch is not in the log
        log.warning("request records not written (%s entries): %s", len(batch), type(exc).__name__)
        return False
    return True


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
                at=taken.at,
            )
        )
    return chains


def _fields(record: RequestRecord, at: datetime) -> dict[str, Any]:
    """A record as a journal line."""
    return {
        "at": at.isoformat(),
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


def _parsed(fields: dict[str, Any], end: int) -> _Taken | None:
    """A journal line as a record (None, logged, for a line that is not one)."""
    try:
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
        return _Taken(record, datetime.fromisoformat(str(fields["at"])), end)
    except (KeyError, TypeError, ValueError):
        log.warning("a request journal line that is not a record skipped")
        return None


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
