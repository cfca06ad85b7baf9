"""A binding read, and whether it is still current right before a request is signed.

The gateway must never sign with a key after its replacement commits, so a request's binding
read has to be as fresh as its signature. :meth:`BindingRead.current` says whether it still is:

- with a commit token (a SQLite file in WAL mode, :class:`~tradebind.store.commit_watch.CommitWatch`):
  nothing has committed to the database since the read, by any connection of any process. A
  look costs about 0.2 µs, so it is taken right before every signature.
- without one (PostgreSQL, where a read is a round trip): the task that read has not *waited*
  since (for its session, the rate budget, the sent-order journal). A task that was not suspended
  ran straight from the read to the signature, with nothing in between but its own CPU work,
  which is also all that separates a second read from the signature.

When it is not current, the gateway reads the binding again before signing.
"""

from __future__ import annotations

import asyncio

from ..store.binding_controls import BindingSnapshot, SnapshotReader

__all__ = ["BindingRead"]


class BindingRead:
    """``snapshot`` of a binding, read now by the running task, current at commit ``token``.

    ``waited`` (used only without a token) is False until the event loop runs anything else after
    the read, which happens only once the reading task is suspended (an ``await`` of something
    not yet done); an ``await`` that completes at once (a budget with room, a session already
    open) leaves it False. It is never reset: a read that has waited stays stale. It costs one
    ``call_soon``, which a read with a token does without.
    """

    __slots__ = ("_reader", "_token", "snapshot", "waited")

    def __init__(self, snapshot: BindingSnapshot, token: bytes | None = None, reader: SnapshotReader | None = None):
        self.snapshot = snapshot
        self._token = token if reader is not None else None
        self._reader = reader
        self.waited = False
        if self._token is None:
            # Runs in the loop's next turn, which comes only after this task yields; callbacks
            # already queued for the current turn run before it, never after it.
            asyncio.get_running_loop().call_soon(self._turned)

    def current(self) -> bool:
        """Whether ``snapshot`` is still what a read would return now (see the module)."""
        if self._reader is not None and self._token is not None:
            return self._reader.unchanged(self._token)
        return not self.waited

    def _turned(self) -> None:
        self.waited = True
