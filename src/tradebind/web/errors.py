"""Errors the web layer turns into 4xx answers: each names the field at fault and is safe to show."""

from __future__ import annotations

from tradebind.store.errors import Conflict, InUse, NotFound, StoreBusy, StoreError

__all__ = ["WebError", "from_store"]


class WebError(Exception):
    """A refusal with an HTTP status, the input ``field`` it is about (or ``None``), and a message."""

    def __init__(self, status: int, message: str, field: str | None = None, *, extra: dict[str, object] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.extra = extra or {}


def from_store(exc: StoreError) -> WebError:
    """The web answer to a store error: 404 for another owner's or a missing record, 409 for a
    conflict (with the bots for :class:`InUse`), 503 while the database is too busy to write,
    422 for invalid input."""
    if isinstance(exc, NotFound):
        return WebError(404, str(exc), exc.field)
    if isinstance(exc, InUse):
        return WebError(409, str(exc), exc.field, extra={"bots": list(exc.bots)})
    if isinstance(exc, Conflict):
        return WebError(409, str(exc), exc.field)
    if isinstance(exc, StoreBusy):
        return WebError(503, str(exc), exc.field)
    return WebError(422, str(exc), exc.field)
