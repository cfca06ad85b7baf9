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
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Connection

from ..store import activity
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

    One writer thread holds one connection of its own for the sink's life: no pool checkout
    and no new thread per batch, and the connection's settings stay its own.

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
        self._store = store
        self._max_batch = max_batch
        self._power_safe = power_safe
        self._pending: list[tuple[RequestRecord, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tradebind-records")
        self._conn: Connection | None = None  # used on the writer thread only
        self._closed = False

    async def record(self, entry: RequestRecord) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            try:
                await loop.run_in_executor(self._writer, self._write, [entry for entry, _ in batch])
            except Exception as exc:  # any database failure fails the batch closed
                log.warning("request records not written (%s entries): %s", len(batch), type(exc).__name__)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RecordFailed("the activity record could not be written"))
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    def _write(self, entries: Sequence[RequestRecord]) -> None:
        """On the writer thread: one transaction, one chain append per owner."""
        chains: dict[str, list[activity.NewEntry]] = {}
        for e in entries:
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
            conn = self._connection()
            with self._store.write_turn(), conn.begin():
                for chain, new in chains.items():
                    activity.append_many(conn, chain, new)
        except Exception:
            self._drop_connection()  # a connection that failed is not trusted again
            raise

    def _connection(self) -> Connection:
        if self._conn is None:
            conn = self._store.dedicated_writer()
            if conn.dialect.name == "sqlite" and not self._power_safe:
                # On the DBAPI connection (autocommit), not in a transaction; see the class doc.
                conn.connection.driver_connection.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]
            self._conn = conn
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.invalidate()  # closed, never handed back to the pool with its own settings
            conn.close()

    async def close(self) -> None:
        """Wait for records in flight, then end the writer's connection and thread (idempotent)."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._writer, self._drop_connection)
        self._writer.shutdown(wait=False)
