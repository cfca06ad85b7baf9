"""Request records: every signed request the gateway sends, written before its result is used.

A :class:`RequestSink` takes one :class:`RequestRecord` and returns once it is durable, or raises
:class:`RecordFailed` (the gateway then fails the request: fail closed). The store implementation
appends ``exchange.request`` entries to the owner's hash-chained activity log, batching the
records of concurrent requests into one transaction (group commit), so many bots cost one write
per batch rather than one per request (see :class:`ActivityRequestSink` for what "durable" means
on SQLite).

Records name the bot, binding, credential version, endpoint, result and latency; never key
material (the key id is masked upstream, secrets never reach this module).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..store import activity
from ..store.activity_writer import ActivityWriter
from ..store.engine import Store

__all__ = ["ActivityRequestSink", "RecordFailed", "RequestRecord", "RequestSink"]

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
    async def record(self, entry: RequestRecord, *, alone: bool = False) -> None:
        """Return once ``entry`` is durable; raise :class:`RecordFailed` otherwise.

        ``alone``: no other request of the caller is in flight, so no other record would join
        this one's batch (a hint: the sink may write it at once rather than group it)."""
        ...

    async def close(self) -> None: ...


_Waiting = tuple[RequestRecord, "asyncio.Future[None]"]


class ActivityRequestSink:
    """Writes records to the store's activity log in batches; one transaction per batch.

    ``record`` waits for the batch holding its entry to commit. If the commit fails, every
    record of that batch fails. Records of concurrent requests share a batch (group commit): N
    requests at once cost about one commit, not N.

    Where a batch is written. Records of requests that came *alone* (no other request of the
    gateway in flight: one bot, or quiet hours) are written on the event loop itself, in the loop
    turn after they came, on a SQLite file whose write lock is free at that moment (an
    :class:`~tradebind.store.activity_writer.ActivityWriter` with ``wait=False``): the lone
    request waits only for its own SQLite work, about 0.1 ms, not for a hand-off to a thread and
    back (about 0.2 ms more on loopback). Everything else goes to the sink's writer thread, which
    waits for the lock on a connection of its own, groups what queued meanwhile, and wakes the
    loop once per batch to settle its waiters: concurrent requests share commits, and the commits'
    file writes run beside the loop instead of on it. So does a lone record that finds the lock
    taken (the sent-order journal, the cabinet, another process), and one that comes while the
    thread still has records to write (each owner's records keep their order). Elsewhere
    (PostgreSQL, SQLite in memory) and with ``power_safe`` (whose fsync must not stall the loop)
    every batch goes to the thread. The thread also checkpoints the WAL for the loop's
    connection, which never does (a checkpoint fsyncs).

    Durability on SQLite: unless ``power_safe``, records commit with ``synchronous=NORMAL`` under
    WAL (SQLite docs, pragma.html#pragma_synchronous and wal.html): a committed record survives a
    crash of the process or of the service, but the last records before a power loss or an OS
    crash may be lost, because the WAL is not fsynced at each of its commits. It is fsynced by the
    next commit of any ``synchronous=FULL`` connection (every other store write: the sent-order
    journal, deals, keys) and at checkpoints; the WAL is appended in commit order, so any later
    durable write that used a request's result carries that request's record with it.
    ``power_safe=True`` keeps ``FULL`` (an fsync per batch). PostgreSQL commits as configured
    (``synchronous_commit``, on by default).

    Use from one event loop (the gateway's).
    """

    def __init__(self, store: Store, *, max_batch: int = 500, power_safe: bool = False) -> None:
        self._writer = ActivityWriter(store, fsync_each_commit=power_safe)
        inline = store.is_sqlite_file and not power_safe
        self._inline = ActivityWriter(store, fsync_each_commit=False, wait=False) if inline else None
        self._max_batch = max_batch
        self._pending: list[_Waiting] = []  # records of this loop turn, written in the next one
        self._pending_alone = True  # ... and whether each came with no other request in flight
        self._queue: queue.SimpleQueue[_Waiting | _Checkpoint | None] = queue.SimpleQueue()
        self._queued = 0  # records handed to the thread (counted on the loop) ...
        self._settled = 0  # ... and settled by it (counted on the loop, when their waiters wake)
        self._loop_commits = self._loop_records = 0  # written on the loop since the last checkpoint
        self._thread: threading.Thread | None = None
        self._closed = False

    async def record(self, entry: RequestRecord, *, alone: bool = False) -> None:
        if self._closed:
            raise RecordFailed("the activity record could not be written: the gateway is closing")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if not self._pending:
            self._pending_alone = True
            loop.call_soon(self._flush)
        self._pending.append((entry, future))
        self._pending_alone = self._pending_alone and alone
        await future

    def _flush(self) -> None:
        """On the loop: this turn's records, written here if the lock is free, else by the thread."""
        batch, self._pending = self._pending, []
        if not batch:  # close() wrote them already
            return
        if self._inline is not None and self._pending_alone and self._queued == self._settled:
            written = _append(self._inline, batch)
            if written is None:  # failed: the batch fails closed
                _resolve(batch, written=False)
                return
            if written:  # else the lock was taken: the thread waits for it
                _resolve(batch, written=True)
                self._loop_commits += 1
                self._loop_records += len(batch)
                if self._loop_commits >= _CHECKPOINT_COMMITS or self._loop_records >= _CHECKPOINT_RECORDS:
                    self._loop_commits = self._loop_records = 0
                    self._to_thread(_CHECKPOINT)
                return
        self._queued += len(batch)
        for waiting in batch:
            self._to_thread(waiting)

    def _to_thread(self, item: _Waiting | _Checkpoint) -> None:
        self._queue.put(item)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tradebind-records", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        """The writer thread: batches until the closing marker, then the connections end."""
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                if isinstance(first, _Checkpoint):
                    with contextlib.suppress(Exception):  # the next one will do
                        self._writer.checkpoint()
                    continue
                batch, stop = [first], False
                while len(batch) < self._max_batch:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:  # closing: write what came before it, then stop
                        stop = True
                        break
                    if isinstance(more, _Checkpoint):
                        continue  # this batch's commit checkpoints by itself (SQLite's autocheckpoint)
                    batch.append(more)
                self._settle(batch, _append(self._writer, batch) is True)
                if stop:
                    return
        finally:
            self._writer.close()

    def _settle(self, batch: Sequence[_Waiting], written: bool) -> None:
        """Wake each waiting loop once for the whole batch (normally one loop)."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Waiting]] = {}
        for waiting in batch:
            by_loop.setdefault(waiting[1].get_loop(), []).append(waiting)
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                loop.call_soon_threadsafe(self._settled_by_thread, settled, written)

    def _settled_by_thread(self, batch: Sequence[_Waiting], written: bool) -> None:
        self._settled += len(batch)
        _resolve(batch, written=written)

    async def close(self) -> None:
        """Write the records in flight, then end the writer connections and thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._pending:
            self._flush()
        if self._inline is not None:
            self._inline.close()
        if self._thread is None:
            self._writer.close()
            return
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)


class _Checkpoint:
    """Queue marker: checkpoint the WAL (for the loop's connection, which never does)."""


_CHECKPOINT = _Checkpoint()
# A checkpoint after this many commits or records written on the loop: each commit writes three
# pages or more, so about SQLite's own autocheckpoint (1,000 pages, about 4 MB of WAL).
_CHECKPOINT_COMMITS, _CHECKPOINT_RECORDS = 250, 5_000


def _append(writer: ActivityWriter, batch: Sequence[_Waiting]) -> bool | None:
    """One transaction, one chain append per owner. True: written; False: nothing written (a
    writer that must not wait found the lock taken); None: failed (logged; the batch fails closed)."""
    try:
        return writer.append(_chains(batch))
    except Exception as exc:  # any database failure fails the batch closed
        log.warning("request records not written (%s entries): %s", len(batch), type(exc).__name__)
        return None


def _chains(batch: Sequence[_Waiting]) -> dict[str, list[activity.NewEntry]]:
    """The batch's entries by owner chain, in order."""
    chains: dict[str, list[activity.NewEntry]] = {}
    for e, _ in batch:
        chains.setdefault(e.owner_id, []).append(
            activity.NewEntry(
                actor=f"bot:{e.bot_id}" if e.bot_id else "gateway",
                action=ACTION,
                result=e.result[:200],
                credential_id=e.credential_id,
                purpose=e.endpoint[:200],
                details={"binding": e.binding_id, "version": e.version, "latency_ms": e.latency_ms, **e.details},
            )
        )
    return chains


def _resolve(batch: Sequence[_Waiting], *, written: bool) -> None:
    for _, future in batch:
        if future.done():  # its waiter was cancelled
            continue
        if written:
            future.set_result(None)
        else:
            future.set_exception(RecordFailed("the activity record could not be written"))
