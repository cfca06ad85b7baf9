"""A binding read and whether the task that made it has waited since.

The gateway must never sign with a key after its replacement commits, so a request's binding
read has to be as fresh as its signature. Reading it again right before signing costs a store
read per request (12–35 µs on SQLite, a round trip on PostgreSQL). It is only needed when the
request *waited* after the read (for its session, the rate budget, the sent-order journal): a
task that was not suspended ran straight from the read to the signature, with nothing in between
but its own CPU work, which is also all that separates a second read from the signature.
"""

from __future__ import annotations

import asyncio

from ..store.binding_controls import BindingSnapshot

__all__ = ["BindingRead"]


class BindingRead:
    """``snapshot`` of a binding, read now by the running task.

    ``waited`` is False until the event loop runs anything else after the read, which happens
    only once the reading task is suspended (an ``await`` of something not yet done); an
    ``await`` that completes at once (a budget with room, a session already open) leaves it
    False. It is never reset: a read that has waited stays stale. Costs one ``call_soon``.
    """

    __slots__ = ("snapshot", "waited")

    def __init__(self, snapshot: BindingSnapshot) -> None:
        self.snapshot = snapshot
        self.waited = False
        # Runs in the loop's next turn, which comes only after this task yields; callbacks
        # already queued for the current turn run before it, never after it.
        asyncio.get_running_loop().call_soon(self._turned)

    def _turned(self) -> None:
        self.waited = True
