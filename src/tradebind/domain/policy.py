"""Permission policy: what an API key must and must not be allowed to do for a binding.

Pure: the exchange adapter reads the key's rights into :class:`KeyFacts` in neutral words and
names its own checkboxes in :class:`ExchangeTerms`; :func:`evaluate_key` returns the findings.
Rules (architecture.md, "Refuse by default"): the market needs Read plus its Trade right; a key
that can withdraw or move funds is refused unless the operator relaxes it; a key open to every IP
is a warning; an allow-list that misses one of tradebind's egress IPs is refused.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from .market import Market
from .verdicts import CheckWarning, Finding, Verdict


class Permission(enum.StrEnum):
    """A right of an API key, in words no exchange uses."""

    READ = "read"
    SPOT_TRADE = "spot_trade"
    FUTURES_TRADE = "futures_trade"
    WITHDRAW = "withdraw"
    # moving funds between wallets or accounts (Binance universal/internal transfer, Bybit Wallet)
    TRANSFER = "transfer"


TRADE_RIGHT: Mapping[Market, Permission] = {
    Market.SPOT: Permission.SPOT_TRADE,
    Market.FUTURES: Permission.FUTURES_TRADE,
}
FUND_MOVING_RIGHTS = (Permission.WITHDRAW, Permission.TRANSFER)


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """What the exchange's key-permission endpoint says about the key.

    ``ips`` is the allow-list (entries may be CIDR ranges), empty when the key is open to every
    IP, and ``None`` when the exchange only says *whether* a list exists (Binance ``ipRestrict``).
    ``account`` is the exchange's id of the account the key belongs to (OKX ``uid``, Bybit
    ``userID``, Binance ``uid`` of the account information): keys of one account share its
    rate limits. ``None`` where the exchange did not say.
    """

    permissions: frozenset[Permission]
    ip_restricted: bool
    ips: tuple[str, ...] | None = ()
    expires_at: datetime | None = None
    created_at: datetime | None = None
    account: str | None = None


@dataclass(frozen=True, slots=True)
class ExchangeTerms:
    """How one exchange's UI names things, so fix texts tell the user exactly what to click."""

    exchange: str  # display name, e.g. "Binance"
    key_settings: str  # where the key's settings are, e.g. "API Management → Edit restrictions"
    labels: Mapping[Permission, tuple[str, ...]]  # the checkbox(es) granting each right

    def label(self, right: Permission) -> str:
        return " / ".join(f"“{name}”" for name in self.labels.get(right, (right.value,)))


def _parse_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class CheckPolicy:
    """Operator settings of the check. Defaults are the safe ones."""

    egress_ips: tuple[str, ...] = ()
    allow_fund_moving_keys: bool = False
    expires_soon: timedelta = timedelta(days=14)
    key_old: timedelta = timedelta(days=365)
    low_available: Decimal = Decimal("10")  # in the quote currency
    quote: str = "USDT"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> CheckPolicy:
        """Read ``TRADEBIND_EGRESS_IPS`` (comma-separated IPs or CIDRs),
        ``TRADEBIND_ALLOW_FUND_MOVING_KEYS`` (default off), ``TRADEBIND_LOW_AVAILABLE_USDT``.

        Raises ``ValueError`` naming the variable when a value is malformed.
        """
        ips = tuple(ip.strip() for ip in environ.get("TRADEBIND_EGRESS_IPS", "").split(",") if ip.strip())
        for ip in ips:
            try:
                ipaddress.ip_network(ip, strict=False)
            except ValueError:
                raise ValueError(f"TRADEBIND_EGRESS_IPS: {ip!r} is not an IP address") from None
        low = environ.get("TRADEBIND_LOW_AVAILABLE_USDT", "10")
        try:
            low_available = Decimal(low)
        except InvalidOperation:
            raise ValueError(f"TRADEBIND_LOW_AVAILABLE_USDT: {low!r} is not a number") from None
        if not low_available.is_finite() or low_available < 0:
            raise ValueError(f"TRADEBIND_LOW_AVAILABLE_USDT: {low!r} is not a non-negative number")
        return cls(
            egress_ips=ips,
            allow_fund_moving_keys=_parse_bool(environ.get("TRADEBIND_ALLOW_FUND_MOVING_KEYS", "")),
            low_available=low_available,
        )


def uncovered_ips(allow_list: tuple[str, ...], egress_ips: tuple[str, ...]) -> list[str]:
    """The egress IPs (or ranges) that no entry of ``allow_list`` covers."""
    networks = [ipaddress.ip_network(entry, strict=False) for entry in allow_list]
    missing = []
    for egress in egress_ips:
        net = ipaddress.ip_network(egress, strict=False)
        if not any(net.version == n.version and net.subnet_of(n) for n in networks):  # type: ignore[arg-type]
            missing.append(egress)
    return missing


def evaluate_key(
    facts: KeyFacts, market: Market, policy: CheckPolicy, terms: ExchangeTerms, now: datetime
) -> list[Finding]:
    """Findings about the key's rights, IP allow-list and age for trading ``market``."""
    findings: list[Finding] = []
    needed = [Permission.READ, TRADE_RIGHT[market]]
    missing = [p for p in needed if p not in facts.permissions]
    if missing:
        boxes = " and ".join(terms.label(p) for p in missing)
        findings.append(
            Finding(
                Verdict.MISSING_PERMISSION,
                f"Edit the API key on {terms.exchange} ({terms.key_settings}) and tick {boxes}: "
                f"{market.value} trading needs it.",
            )
        )
    moving = [p for p in FUND_MOVING_RIGHTS if p in facts.permissions]
    if moving and not policy.allow_fund_moving_keys:
        boxes = " and ".join(terms.label(p) for p in moving)
        findings.append(
            Finding(
                Verdict.WITHDRAW_ENABLED,
                f"Edit the API key on {terms.exchange} ({terms.key_settings}) and untick {boxes}: "
                "tradebind refuses keys that can move funds out of the account.",
            )
        )
    findings.extend(_ip_findings(facts, policy, terms))
    findings.extend(_age_findings(facts, policy, terms, now))
    return findings


def _ip_findings(facts: KeyFacts, policy: CheckPolicy, terms: ExchangeTerms) -> list[Finding]:
    if not facts.ip_restricted:
        advice = f" ({', '.join(policy.egress_ips)})" if policy.egress_ips else ""
        return [
            Finding(
                CheckWarning.NO_IP_RESTRICTION,
                f"Restrict the API key on {terms.exchange} to tradebind's IP addresses{advice}: "
                "a leaked key is then useless elsewhere.",
            )
        ]
    if facts.ips is None or not policy.egress_ips:
        return []
    missing = uncovered_ips(facts.ips, policy.egress_ips)
    if not missing:
        return []
    return [
        Finding(
            Verdict.IP_NOT_ALLOWED,
            f"Add {', '.join(missing)} to the API key's IP allow-list on {terms.exchange} "
            f"({terms.key_settings}): tradebind connects from there.",
        )
    ]


def _age_findings(facts: KeyFacts, policy: CheckPolicy, terms: ExchangeTerms, now: datetime) -> list[Finding]:
    findings: list[Finding] = []
    if facts.expires_at is not None:
        when = facts.expires_at.strftime("%Y-%m-%d")
        if facts.expires_at <= now:
            findings.append(
                Finding(Verdict.KEY_EXPIRED, f"The API key expired on {when}: create a new key on {terms.exchange}.")
            )
        elif facts.expires_at - now <= policy.expires_soon:
            findings.append(
                Finding(
                    CheckWarning.EXPIRES_SOON,
                    f"The API key expires on {when}: renew it on {terms.exchange} (binding it to IP "
                    "addresses usually lifts the expiry) or replace it in tradebind before then.",
                )
            )
    if facts.created_at is not None and now - facts.created_at >= policy.key_old:
        findings.append(
            Finding(
                CheckWarning.KEY_OLD,
                f"The API key was created on {facts.created_at:%Y-%m-%d}: rotate it (create a new key on "
                f"{terms.exchange}, update it in tradebind, delete the old one).",
            )
        )
    return findings
