"""Verdicts and warnings of a check: the closed sets from the design, and how findings combine.

A check collects :class:`Finding`\\s (each a verdict or a warning with its fix text) from every
step; :func:`decide` turns them into the one verdict the user sees. The names are stable: the API,
CLI, UI and tests match on them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Verdict(enum.StrEnum):
    """The outcome of a check (closed set, see architecture.md)."""

    CONNECTED = "CONNECTED"
    CONNECTED_WITH_WARNINGS = "CONNECTED_WITH_WARNINGS"
    INVALID_KEY = "INVALID_KEY"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    INVALID_PASSPHRASE = "INVALID_PASSPHRASE"  # noqa: S105 - a verdict name, not a credential
    IP_NOT_ALLOWED = "IP_NOT_ALLOWED"
    MISSING_PERMISSION = "MISSING_PERMISSION"
    WITHDRAW_ENABLED = "WITHDRAW_ENABLED"
    KEY_EXPIRED = "KEY_EXPIRED"
    CLOCK_SKEW = "CLOCK_SKEW"
    RATE_LIMITED = "RATE_LIMITED"
    EXCHANGE_UNAVAILABLE = "EXCHANGE_UNAVAILABLE"
    ACCOUNT_RESTRICTED = "ACCOUNT_RESTRICTED"
    WRONG_ENVIRONMENT = "WRONG_ENVIRONMENT"
    NETWORK_ERROR = "NETWORK_ERROR"

    @property
    def accepted(self) -> bool:
        """True when the key may be used for trading."""
        return self in (Verdict.CONNECTED, Verdict.CONNECTED_WITH_WARNINGS)


class CheckWarning(enum.StrEnum):
    """Something the user should fix, which does not stop the key from working."""

    NO_IP_RESTRICTION = "NO_IP_RESTRICTION"
    EXPIRES_SOON = "EXPIRES_SOON"
    FUNDS_IN_FUNDING_ACCOUNT = "FUNDS_IN_FUNDING_ACCOUNT"
    LOW_AVAILABLE_BALANCE = "LOW_AVAILABLE_BALANCE"
    KEY_OLD = "KEY_OLD"


# Which failing verdict wins when several apply. Reaching the exchange comes first (nothing else
# can be trusted without it), then who the key is, then what it may do: the user fixes them in
# this order, and a later one may vanish once an earlier one is fixed.
PRECEDENCE: tuple[Verdict, ...] = (
    Verdict.NETWORK_ERROR,
    Verdict.EXCHANGE_UNAVAILABLE,
    Verdict.RATE_LIMITED,
    Verdict.WRONG_ENVIRONMENT,
    Verdict.INVALID_KEY,
    Verdict.KEY_EXPIRED,
    Verdict.IP_NOT_ALLOWED,
    Verdict.INVALID_PASSPHRASE,
    Verdict.INVALID_SIGNATURE,
    Verdict.CLOCK_SKEW,
    Verdict.ACCOUNT_RESTRICTED,
    Verdict.WITHDRAW_ENABLED,
    Verdict.MISSING_PERMISSION,
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or warning and the plain-language fix for it."""

    code: Verdict | CheckWarning
    fix: str

    @property
    def blocking(self) -> bool:
        return isinstance(self.code, Verdict)


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict of a check, its fix text, and every finding behind it."""

    verdict: Verdict
    fix: str
    problems: tuple[Finding, ...]
    warnings: tuple[Finding, ...]


def decide(findings: Iterable[Finding]) -> Decision:
    """The one verdict for a set of findings.

    The blocking finding earliest in :data:`PRECEDENCE` wins and its fix is the check's fix;
    without one the verdict is ``CONNECTED``, or ``CONNECTED_WITH_WARNINGS`` with the warnings'
    fixes joined, in the order found. Duplicate codes keep their first finding.
    """
    seen: set[Verdict | CheckWarning] = set()
    problems: list[Finding] = []
    warnings: list[Finding] = []
    for finding in findings:
        if finding.code in seen:
            continue
        seen.add(finding.code)
        (problems if finding.blocking else warnings).append(finding)
    if problems:
        problems.sort(key=lambda f: PRECEDENCE.index(Verdict(f.code)))
        return Decision(Verdict(problems[0].code), problems[0].fix, tuple(problems), tuple(warnings))
    if warnings:
        return Decision(Verdict.CONNECTED_WITH_WARNINGS, " ".join(w.fix for w in warnings), (), tuple(warnings))
    return Decision(Verdict.CONNECTED, "Nothing to fix: the key is ready for trading.", (), ())
