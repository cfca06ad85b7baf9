"""Errors of the store. Messages are safe to show a user: no key material, no other owner's data.

``field`` names the input the error is about (for a 4xx that names the field), or is ``None``.
"""

from __future__ import annotations

__all__ = ["Conflict", "InUse", "Invalid", "KeyAlreadyConnected", "NotFound", "StoreBusy", "StoreError"]


class StoreError(Exception):
    """Base class; ``field`` is the input field at fault, if any."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(StoreError):
    """No such record *for this owner*. Another owner's record is indistinguishable from none."""


class Invalid(StoreError):
    """An input value the store cannot accept (blank label, unknown market or state, ...)."""


class Conflict(StoreError):
    """The change would break a rule (one binding per market per credential, a name taken, ...)."""


class KeyAlreadyConnected(Conflict):
    """The API key id is already stored, by this owner or another: one exchange key, one owner."""


class StoreBusy(StoreError):
    """The database stayed busy with other writes for longer than the store waits; nothing was
    written. Worth trying again."""


class InUse(Conflict):
    """Bots that are not stopped still use the binding or credential; ``bots`` lists their names."""

    def __init__(self, what: str, bots: list[str]) -> None:
        self.bots = tuple(bots)
        super().__init__(f"{what} is used by bots that are not stopped: {', '.join(self.bots)}; stop them first")
