"""Exchange status as tradebind sees it: the outcome of recent checks per exchange.

In-process recorder (a scale-out seam like the throttle). Each check reports its verdict; the
status page shows, per exchange, whether the last contact reached it, whether it was in
maintenance, and the share of recent checks that failed for the exchange's sake (down, network,
rate limits), as opposed to problems of the user's key.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from tradebind.domain.credentials import Exchange
from tradebind.domain.verdicts import Verdict

__all__ = ["ExchangeHealth", "ExchangeState"]

_EXCHANGE_FAULTS = {Verdict.EXCHANGE_UNAVAILABLE, Verdict.NETWORK_ERROR, Verdict.RATE_LIMITED}


@dataclass(frozen=True, slots=True)
class ExchangeState:
    """One exchange's status: ``state`` is ``reachable``, ``maintenance``, ``error`` or ``unknown``."""

    exchange: str
    state: str
    checks: int
    error_rate: float
    last_verdict: str | None
    last_seen: datetime | None


class ExchangeHealth:
    """The last ``window`` check outcomes per exchange."""

    def __init__(self, window: int = 50) -> None:
        self._window = window
        self._seen: dict[str, deque[tuple[Verdict, datetime]]] = {}
        self._lock = threading.Lock()

    def record(self, exchange: str, verdict: Verdict) -> None:
        with self._lock:
            self._seen.setdefault(exchange, deque(maxlen=self._window)).append((verdict, datetime.now(UTC)))

    def states(self) -> list[ExchangeState]:
        with self._lock:
            seen = {name: list(items) for name, items in self._seen.items()}
        result = []
        for exchange in Exchange:
            items = seen.get(exchange.value, [])
            if not items:
                result.append(ExchangeState(exchange.value, "unknown", 0, 0.0, None, None))
                continue
            verdict, at = items[-1]
            faults = sum(1 for v, _ in items if v in _EXCHANGE_FAULTS)
            if verdict is Verdict.EXCHANGE_UNAVAILABLE:
                state = "maintenance"
            elif verdict in _EXCHANGE_FAULTS:
                state = "error"
            else:
                state = "reachable"
            result.append(ExchangeState(exchange.value, state, len(items), faults / len(items), verdict.value, at))
        return result
