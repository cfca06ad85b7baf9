"""Request records: every signed request the gateway sends, written before its result is used.

A :class:`RequestSink` takes one :class:`RequestRecord` and returns once it is durable, or raises
:class:`RecordFailed` (the gateway then fails the request: fail closed). The store implementation
appends ``exchange.request`` entries to the owner's hash-chained activity log, batching the
records of concurrent requests into one transaction (group commit), so many bots cost one write
per batch rather than one per request.

Records name the bot, binding, credential version, endpoint, result and latency; never key
material (the key id is masked upstream, secrets never reach this module).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

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
    record of that batch fails.
    """

    def __init__(self, store: Store, *, max_batch: int = 500) -> None:
        self._store = store
        self._max_batch = max_batch
        self._pending: list[tuple[RequestRecord, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, entry: RequestRecord) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            try:
                await asyncio.to_thread(self._write, [entry for entry, _ in batch])
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
        with self._store.write() as session:
            for e in entries:
                activity.append(
                    session,
                    e.owner_id,
                    actor=f"bot:{e.bot_id}" if e.bot_id else "gateway",
                    action=ACTION,
                    result=e.result[:200],
                    credential_id=e.credential_id,
                    purpose=e.endpoint[:200],
                    details={
                        "binding": e.binding_id,
                        "version": e.version,
                        "latency_ms": e.latency_ms,
                        **dict(e.details),
                    },
                )

    async def close(self) -> None:
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
