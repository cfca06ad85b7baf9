"""The report of one check, and its JSON form (stable field names: API, CLI ``--json``, UI)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain.balance import BalanceBreakdown, Figures
from ..domain.market import Market
from ..domain.policy import KeyFacts, Permission
from ..domain.verdicts import Decision
from ..exchanges.base import ClockReading, Evidence, ExchangeStatus


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Everything one check found. Holds no key material: the key id is masked."""

    exchange: str
    market: Market
    environment: str
    key_id_masked: str
    decision: Decision
    key: KeyFacts | None
    balance: BalanceBreakdown | None
    clock: ClockReading | None
    clock_compensated: bool
    status: ExchangeStatus | None
    evidence: tuple[Evidence, ...]
    duration_ms: int

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data; amounts are decimal strings."""
        d = self.decision
        return {
            "verdict": d.verdict.value,
            "fix": d.fix,
            "warnings": [{"code": w.code.value, "fix": w.fix} for w in d.warnings],
            "problems": [{"code": p.code.value, "fix": p.fix} for p in d.problems],
            "exchange": self.exchange,
            "market": self.market.value,
            "environment": self.environment,
            "api_key": self.key_id_masked,
            "permissions": _permissions(self.key),
            "ip_restriction": _ip_restriction(self.key),
            "key_expires_at": _iso(self.key.expires_at) if self.key else None,
            "key_created_at": _iso(self.key.created_at) if self.key else None,
            "account": self.key.account if self.key else None,
            "balance": _balance(self.balance),
            "clock": (
                {"offset_ms": self.clock.offset_ms, "rtt_ms": self.clock.rtt_ms, "compensated": self.clock_compensated}
                if self.clock
                else None
            ),
            "exchange_status": {"ok": self.status.ok, "detail": self.status.detail} if self.status else None,
            "evidence": [
                {"call": e.call, "ok": e.ok, "result": e.result, "elapsed_ms": e.elapsed_ms} for e in self.evidence
            ],
            "duration_ms": self.duration_ms,
        }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _permissions(key: KeyFacts | None) -> dict[str, bool] | None:
    if key is None:
        return None
    return {p.value: p in key.permissions for p in Permission}


def _ip_restriction(key: KeyFacts | None) -> dict[str, Any] | None:
    if key is None:
        return None
    return {"restricted": key.ip_restricted, "ips": list(key.ips) if key.ips is not None else None}


def _num(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = f"{value.normalize():f}"
    return "0" if text in {"-0", "0"} else text


def _figures(f: Figures | None) -> dict[str, str | None] | None:
    if f is None:
        return None
    return {
        "wallet_balance": _num(f.wallet_balance),
        "unrealised_pnl": _num(f.unrealised_pnl),
        "position_margin": _num(f.position_margin),
        "order_reserved": _num(f.order_reserved),
        "available": _num(f.available),
    }


def _balance(b: BalanceBreakdown | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {
        "account": b.account,
        "quote": b.quote,
        "total": _figures(b.total),
        "assets": [
            {
                "asset": line.asset,
                **(_figures(line.amounts) or {}),
                "price": _num(line.price),
                "value": _figures(line.value),
            }
            for line in b.assets
        ],
        "funding": [{"asset": h.asset, "amount": _num(h.amount), "value": _num(h.value)} for h in b.funding],
        "funding_value": _num(b.funding_value),
        "explanation": b.explanation,
    }
