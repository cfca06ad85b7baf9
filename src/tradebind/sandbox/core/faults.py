"""Injected faults: maintenance, latency, dropped or failed responses, tighter limits, clock offset.

A fault stays until cleared, or fires ``count`` times; ``probability`` makes each eligible request
trip it with that chance, from the venue's seeded generator so runs are reproducible.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field


class FaultKind(enum.Enum):
    MAINTENANCE = "maintenance"
    LATENCY = "latency"
    DROP_AFTER_ACCEPT = "drop_after_accept"
    SERVER_ERROR = "server_error"
    RATE_LIMIT = "rate_limit"
    CLOCK_OFFSET = "clock_offset"


@dataclass(slots=True)
class Fault:
    kind: FaultKind
    params: dict[str, float | int | str | bool | None] = field(default_factory=dict)
    count: int | None = None
    probability: float = 1.0

    def number(self, name: str, default: float = 0) -> float:
        value = self.params.get(name, default)
        return float(value) if isinstance(value, int | float) else default


class Faults:
    """The faults active on one venue."""

    def __init__(self, seed: int) -> None:
        self._active: dict[FaultKind, Fault] = {}
        self._rng = random.Random(seed ^ 0x5A5A)

    def add(self, fault: Fault) -> None:
        self._active[fault.kind] = fault

    def clear(self) -> None:
        self._active.clear()

    def get(self, kind: FaultKind) -> Fault | None:
        return self._active.get(kind)

    def trip(self, kind: FaultKind) -> Fault | None:
        """Return the fault if it fires for this request, consuming one of its ``count``."""
        fault = self._active.get(kind)
        if fault is None:
            return None
        if fault.probability < 1.0 and self._rng.random() >= fault.probability:
            return None
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                del self._active[kind]
        return fault

    def describe(self) -> list[dict[str, object]]:
        return [
            {"kind": f.kind.value, **f.params, "count": f.count, "probability": f.probability}
            for f in self._active.values()
        ]
