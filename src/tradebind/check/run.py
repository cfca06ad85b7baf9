"""The connection check: one credential, one market, one report with one verdict.

Order of work (every step's calls run concurrently with ``asyncio.gather``):

1. read the server clock (also proves the exchange answers); compensate the offset from then on;
2. exchange status, the key's rights, the trading account's figures, the Funding account, and the
   adapter's trade probe;
3. if the exchange still rejected timestamps: measure the clock again and retry those calls once;
   ``CLOCK_SKEW`` only if that fails too, i.e. compensation cannot help;
4. resolve refusals the exchange left ambiguous (adapter), tell a wrong environment from an
   invalid key (adapter);
5. prices for the held assets; the key policy, the balance breakdown, and the decision.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from ..domain.balance import BalanceBreakdown, Figures, balance_findings, build_breakdown
from ..domain.fixes import failure_fix
from ..domain.market import Market
from ..domain.policy import CheckPolicy, KeyFacts, evaluate_key
from ..domain.verdicts import Finding, Verdict, decide
from ..exchanges.base import CallFailed, ClockReading, ExchangeAdapter, ExchangeStatus
from ..exchanges.errors import Failure
from .report import CheckReport

T = TypeVar("T")
log = logging.getLogger(__name__)

# Failures of the status call that say something about reaching the exchange; any other (an
# exchange without a status endpoint on this host, say) is evidence only.
_REACH = (Verdict.NETWORK_ERROR, Verdict.EXCHANGE_UNAVAILABLE, Verdict.RATE_LIMITED)


async def _attempt(step: Awaitable[T]) -> T | Failure:
    try:
        return await step
    except CallFailed as exc:
        return exc.failure


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Run:
    """The state of one check while it runs."""

    def __init__(self, adapter: ExchangeAdapter, market: Market, policy: CheckPolicy) -> None:
        self.adapter = adapter
        self.market = market
        self.policy = policy
        self.clock: ClockReading | None = None
        self.compensated = False
        self.findings: list[Finding] = []

    def steps(self) -> dict[str, Callable[[], Awaitable[Any]]]:
        a, m = self.adapter, self.market
        return {
            "status": a.status,
            "key": a.key_facts,
            "trading": lambda: a.trading_figures(m),
            "funding": a.funding_holdings,
            "probe": lambda: a.trade_probe(m),
        }

    async def measure_clock(self) -> Failure | None:
        reading = await _attempt(self.adapter.read_clock())
        if isinstance(reading, Failure):
            return reading
        self.clock = reading
        self.adapter.compensate_clock(reading.offset_ms)
        self.compensated = True
        return None

    async def run_steps(self, names: list[str]) -> dict[str, Any]:
        steps = self.steps()
        results = await asyncio.gather(*(_attempt(steps[n]()) for n in names))
        return dict(zip(names, results, strict=True))

    async def private_calls(self) -> dict[str, Any]:
        results = await self.run_steps(list(self.steps()))
        skewed = [n for n, r in results.items() if isinstance(r, Failure) and r.clock]
        if skewed:
            await self.measure_clock()
            results.update(await self.run_steps(skewed))
        return results

    def clock_detail(self) -> str:
        window = f"{self.adapter.terms.exchange} accepts {self.adapter.timestamp_window_ms} ms"
        if self.clock is None:
            return f"the server time could not be read; {window}"
        return f"server clock {self.clock.offset_ms:+} ms from ours, round trip {self.clock.rtt_ms} ms; {window}"

    async def failure_finding(self, failure: Failure, facts: KeyFacts | None) -> Finding:
        if failure.clock:
            return Finding(Verdict.CLOCK_SKEW, failure_fix(Verdict.CLOCK_SKEW, self.adapter.terms, self.clock_detail()))
        verdict = failure.verdict or await self.adapter.resolve(failure, self.market, facts, self.policy.egress_ips)
        if verdict is Verdict.INVALID_KEY and await self.adapter.other_environment_accepts_key():
            verdict = Verdict.WRONG_ENVIRONMENT
        detail = self.adapter.failure_detail(verdict, failure)
        return Finding(verdict, failure_fix(verdict, self.adapter.terms, detail))

    async def balance(self, trading: dict[str, Figures], funding: dict[str, Decimal]) -> BalanceBreakdown:
        quote = self.policy.quote
        assets = sorted({a for a in (*trading, *funding) if a != quote})
        prices = await _attempt(self.adapter.prices(assets, quote)) if assets else {}
        breakdown = build_breakdown(
            self.adapter.account_name(self.market),
            quote,
            trading,
            funding,
            prices if isinstance(prices, dict) else {},
            self.policy.low_available,
        )
        self.findings.extend(
            balance_findings(breakdown, self.policy.low_available, self.adapter.transfer_route(self.market))
        )
        return breakdown


async def run_check(
    adapter: ExchangeAdapter,
    market: Market,
    policy: CheckPolicy | None = None,
    *,
    now: Callable[[], datetime] = _utcnow,
) -> CheckReport:
    """Check ``adapter``'s key for ``market`` and report. Never raises for exchange failures:
    every failure becomes a verdict, with the calls behind it in the report's evidence."""
    started = time.monotonic()
    log.info("check started: %s %s key %s", adapter.name, market.value, adapter.key_id_masked)
    run = _Run(adapter, market, policy or CheckPolicy())
    facts: KeyFacts | None = None
    status: ExchangeStatus | None = None
    breakdown: BalanceBreakdown | None = None
    unreachable = await run.measure_clock()
    if unreachable is not None and unreachable.verdict is Verdict.NETWORK_ERROR:
        run.findings.append(await run.failure_finding(unreachable, None))
    else:
        results = await run.private_calls()
        status_result = results.pop("status")
        if isinstance(status_result, ExchangeStatus):
            status = status_result
            if not status.ok:
                fix = failure_fix(Verdict.EXCHANGE_UNAVAILABLE, adapter.terms, status.detail)
                run.findings.append(Finding(Verdict.EXCHANGE_UNAVAILABLE, fix))
        elif status_result.verdict in _REACH:
            run.findings.append(await run.failure_finding(status_result, None))
        if isinstance(results["key"], KeyFacts):
            facts = results["key"]
            # Policy findings first: they name the exact checkbox, so they win over a call's refusal.
            run.findings.extend(evaluate_key(facts, market, run.policy, adapter.terms, now()))
        funding = results.pop("funding")
        for failure in (r for r in results.values() if isinstance(r, Failure)):
            run.findings.append(await run.failure_finding(failure, facts))
        if isinstance(results["trading"], dict):
            breakdown = await run.balance(results["trading"], funding if isinstance(funding, dict) else {})
    decision = decide(run.findings)
    for e in adapter.evidence:
        log.debug("%s %s -> %s", adapter.name, e.call, e.result)
    log.info("check finished: %s %s key %s: %s", adapter.name, market.value, adapter.key_id_masked, decision.verdict)
    return CheckReport(
        exchange=adapter.name,
        market=market,
        environment=adapter.endpoint.environment.value,
        key_id_masked=adapter.key_id_masked,
        decision=decision,
        key=facts,
        balance=breakdown,
        clock=run.clock,
        clock_compensated=run.compensated,
        status=status,
        evidence=tuple(adapter.evidence),
        duration_ms=round((time.monotonic() - started) * 1000),
    )
