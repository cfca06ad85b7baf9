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
    async def record(self, entry: RequestRecord) -> None:
        """Return once ``entry`` is durable; raise :class:`RecordFailed` otherwise."""
        ...

    async def close(self) -> None: ...


class ActivityRequestSink:
    """Writes records to the store's activity log in batches; one transaction per batch.

    ``record`` waits for the batch holding its entry to commit. If the commit fails, every
    record of that batch fails. Records that arrive while a batch is being written form the
    next batch (group commit): N concurrent requests cost about one commit, not N.

    One writer thread of the sink's own takes records from a queue and writes them through an
    :class:`~tradebind.store.activity_writer.ActivityWriter` (a connection of its own); it wakes
    the event loop once per batch to settle the batch's waiters. So a record costs the event loop
    a queue put and one wake-up, with no task, executor hop or future chaining per batch.

    Durability on SQLite: unless ``power_safe``, that connection commits with
    ``synchronous=NORMAL`` under WAL (SQLite docs, pragma.html#pragma_synchronous and wal.html):
    a committed record survives a crash of the process or of the service, but the last records
    before a power loss or an OS crash may be lost, because the WAL is not fsynced at each of
    its commits. It is fsynced by the next commit of any ``synchronous=FULL`` connection (every
    other store write: the sent-order journal, deals, keys) and at checkpoints; the WAL is
    appended in commit order, so any later durable write that used a request's result carries
    that request's record with it. ``power_safe=True`` keeps ``FULL`` (an fsync per batch).
    PostgreSQL commits as configured (``synchronous_commit``, on by default).
    """

    def __init__(self, store: Store, *, max_batch: int = 500, power_safe: bool = False) -> None:
        self._writer = ActivityWriter(store, fsync_each_commit=power_safe)
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self._closed = False

    async def record(self, entry: RequestRecord) -> None:
        if self._closed:
            raise RecordFailed("the activity record could not be written: the gateway is closing")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put((entry, future))
        if self._thread is None:
            self._start_thread()
        await future

    def _start_thread(self) -> None:
        with self._start:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="tradebind-records", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        """The writer thread: batches until the closing marker, then the connection ends."""
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch, stop = [first], False
                while len(batch) < self._max_batch:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:  # closing: write what came before it, then stop
                        stop = True
                        break
                    batch.append(more)
                self._settle(batch, self._write(batch))
                if stop:
                    return
        finally:
            self._writer.close()

    def _write(self, batch: Sequence[_Waiting]) -> BaseException | None:
        """On the writer thread: one transaction, one chain append per owner; the failure, if any."""
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
        try:
            self._writer.append(chains)
        except Exception as exc:  # any database failure fails the batch closed
            log.warning("request records not written (%s entries): %s", len(batch), type(exc).__name__)
            return exc
        return None

    @staticmethod
    def _settle(batch: Sequence[_Waiting], failure: BaseException | None) -> None:
        """Wake each waiting loop once for the whole batch (normally one loop)."""
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for _, future in batch:
            by_loop.setdefault(future.get_loop(), []).append(future)
        for loop, futures in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, futures, failure is None)

    async def close(self) -> None:
        """Wait for records in flight, then end the writer's connection and thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._thread is None:
            self._writer.close()
            return
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)


_Waiting = tuple[RequestRecord, "asyncio.Future[None]"]


def _resolve(futures: Sequence[asyncio.Future[None]], written: bool) -> None:
    for future in futures:
        if future.done():  # its waiter was cancelled
            continue
        if written:
            future.set_result(None)
        else:
            future.set_exception(RecordFailed("the activity record could not be written"))
