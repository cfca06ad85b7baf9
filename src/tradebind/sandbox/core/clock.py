"""The venue's clock: wall time plus an injectable offset (the ``clock_offset`` fault)."""

from __future__ import annotations

import time


class Clock:
    """Milliseconds since the epoch as the exchange sees them."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.offset_ms
