"""Keep the cyclic garbage collector off a long-running process's long-lived heap.

A worker holds a few hundred thousand objects for as long as it runs (about 280,000 at start-up,
most of them the modules: ccxt's exchange classes and API tables), then markets and one exchange
client per key. CPython's cyclic collector walks every one of them in each
full collection, and the process stands still meanwhile: 150–185 ms on the reference machine,
about once per ten bursts of 100 gateway requests (``bench/README.md``). Every bot's request waits
through it.

:meth:`HeapSettler.settle` collects everything once and moves what survives into the permanent
generation (``gc.freeze``), so later collections walk only what was allocated since. The price:
cyclic garbage among frozen objects (the client of a replaced key, once closed) is not freed until
the next settle, which unfreezes, collects and freezes again. :meth:`HeapSettler.run` settles
shortly after start-up (once markets and clients are loaded) and then at a fixed period, so that
garbage lives at most one period.

Settling is for long-running processes only (``tradebind worker``, the load benchmarks); a test
process or the web cabinet keeps the interpreter's defaults.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass

__all__ = ["HeapSettler", "Settled"]

log = logging.getLogger(__name__)

# Young-generation threshold while settled (CPython's default is 700). A request through the
# gateway allocates a few hundred container objects; at 700 a burst of 100 requests ran about a
# dozen young collections, each also promoting the survivors of requests still in flight.
YOUNG_THRESHOLD = 10_000


@dataclass(frozen=True, slots=True)
class Settled:
    """One settle: how many objects are now frozen, how many it freed, and how long it stopped
    the process."""

    frozen: int
    freed: int
    pause_s: float


class HeapSettler:
    """Freezes the process's surviving objects after start-up and again every ``every_s``.

    ``first_s``: delay before the first settle (start-up loads markets and opens clients first).
    Only one settler should run per process: the permanent generation is the interpreter's.
    """

    def __init__(self, *, every_s: float = 600.0, first_s: float = 30.0) -> None:
        if every_s <= 0 or first_s < 0:
            raise ValueError("every_s must be positive and first_s not negative")
        self.every_s = every_s
        self.first_s = first_s

    def settle(self) -> Settled:
        """Unfreeze, collect every generation, freeze the survivors; raise the young threshold.

        Synchronous and stops the process for one full collection: call it between requests."""
        started = time.perf_counter()
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
        settled = Settled(gc.get_freeze_count(), freed, time.perf_counter() - started)
        log.info(
            "heap settled: %d objects frozen, %d freed, process stopped %.0f ms",
            settled.frozen,
            settled.freed,
            settled.pause_s * 1000,
        )
        return settled

    async def run(self) -> None:
        """Settle after ``first_s``, then every ``every_s``, until cancelled."""
        await asyncio.sleep(self.first_s)
        while True:
            self.settle()
            await asyncio.sleep(self.every_s)
