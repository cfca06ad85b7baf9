from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradebind.domain.market import Market
from tradebind.domain.policy import CheckPolicy, ExchangeTerms, KeyFacts, Permission, evaluate_key, uncovered_ips
from tradebind.domain.verdicts import CheckWarning, Finding, Verdict

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TERMS = ExchangeTerms(
    exchange="Binance",
    key_settings="API Management → Edit restrictions",
    labels={
        Permission.READ: ("Enable Reading",),
        Permission.SPOT_TRADE: ("Enable Spot & Margin Trading",),
        Permission.FUTURES_TRADE: ("Enable Futures",),
        Permission.WITHDRAW: ("Enable Withdrawals",),
        Permission.TRANSFER: ("Permits Universal Transfer", "Enable Internal Transfer"),
    },
)
READ_SPOT = frozenset({Permission.READ, Permission.SPOT_TRADE})


def codes(findings: list[Finding]) -> list[Verdict | CheckWarning]:
    return [f.code for f in findings]


def test_read_and_spot_trade_with_ip_list_is_clean():
    facts = KeyFacts(READ_SPOT, ip_restricted=True, ips=("203.0.113.0/24",))
    policy = CheckPolicy(egress_ips=("203.0.113.7",))
    assert evaluate_key(facts, Market.SPOT, policy, TERMS, NOW) == []


def test_futures_market_needs_the_futures_checkbox_named():
    facts = KeyFacts(READ_SPOT, ip_restricted=True, ips=None)
    [finding] = evaluate_key(facts, Market.FUTURES, CheckPolicy(), TERMS, NOW)
    assert finding.code is Verdict.MISSING_PERMISSION
    assert "“Enable Futures”" in finding.fix
    assert "Enable Spot" not in finding.fix


def test_withdraw_and_transfer_rights_are_refused_by_default_and_named():
    facts = KeyFacts(READ_SPOT | {Permission.WITHDRAW, Permission.TRANSFER}, ip_restricted=True, ips=None)
    [finding] = evaluate_key(facts, Market.SPOT, CheckPolicy(), TERMS, NOW)
    assert finding.code is Verdict.WITHDRAW_ENABLED
    assert "untick “Enable Withdrawals” and “Permits Universal Transfer” / “Enable Internal Transfer”" in finding.fix


def test_operator_may_allow_fund_moving_keys():
    facts = KeyFacts(READ_SPOT | {Permission.WITHDRAW}, ip_restricted=True, ips=None)
    assert evaluate_key(facts, Market.SPOT, CheckPolicy(allow_fund_moving_keys=True), TERMS, NOW) == []


def test_no_ip_restriction_is_a_warning_listing_egress_ips():
    facts = KeyFacts(READ_SPOT, ip_restricted=False)
    [finding] = evaluate_key(facts, Market.SPOT, CheckPolicy(egress_ips=("198.51.100.1",)), TERMS, NOW)
    assert finding.code is CheckWarning.NO_IP_RESTRICTION
    assert "198.51.100.1" in finding.fix


def test_allow_list_missing_an_egress_ip_names_the_ips_to_add():
    facts = KeyFacts(READ_SPOT, ip_restricted=True, ips=("198.51.100.1", "2001:db8::/32"))
    policy = CheckPolicy(egress_ips=("198.51.100.1", "198.51.100.2", "2001:db8::5", "192.0.2.0/30"))
    [finding] = evaluate_key(facts, Market.SPOT, policy, TERMS, NOW)
    assert finding.code is Verdict.IP_NOT_ALLOWED
    assert "Add 198.51.100.2, 192.0.2.0/30 to" in finding.fix


def test_uncovered_ips_compares_families_apart():
    assert uncovered_ips(("10.0.0.0/8",), ("10.1.2.3", "::1")) == ["::1"]


def test_expiry_within_the_window_warns_with_the_date():
    facts = KeyFacts(READ_SPOT, ip_restricted=True, ips=None, expires_at=NOW + timedelta(days=3))
    [finding] = evaluate_key(facts, Market.SPOT, CheckPolicy(), TERMS, NOW)
    assert finding.code is CheckWarning.EXPIRES_SOON
    assert "2026-11-24" in finding.fix


def test_far_expiry_is_silent_and_past_expiry_is_expired():
    far = KeyFacts(READ_SPOT, ip_restricted=True, ips=None, expires_at=NOW + timedelta(days=60))
    past = KeyFacts(READ_SPOT, ip_restricted=True, ips=None, expires_at=NOW - timedelta(seconds=1))
    assert evaluate_key(far, Market.SPOT, CheckPolicy(), TERMS, NOW) == []
    assert codes(evaluate_key(past, Market.SPOT, CheckPolicy(), TERMS, NOW)) == [Verdict.KEY_EXPIRED]


def test_old_key_warns():
    facts = KeyFacts(READ_SPOT, ip_restricted=True, ips=None, created_at=NOW - timedelta(days=400))
    assert codes(evaluate_key(facts, Market.SPOT, CheckPolicy(), TERMS, NOW)) == [CheckWarning.KEY_OLD]


def test_policy_from_env_reads_and_validates():
    policy = CheckPolicy.from_env(
        {
            "TRADEBIND_EGRESS_IPS": " 198.51.100.1, 2001:db8::/64 ,",
            "TRADEBIND_ALLOW_FUND_MOVING_KEYS": "yes",
            "TRADEBIND_LOW_AVAILABLE_USDT": "25",
        }
    )
    assert policy.egress_ips == ("198.51.100.1", "2001:db8::/64")
    assert policy.allow_fund_moving_keys
    assert policy.low_available == Decimal(25)
    assert not CheckPolicy.from_env({}).allow_fund_moving_keys


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"TRADEBIND_EGRESS_IPS": "not-an-ip"}, "TRADEBIND_EGRESS_IPS"),
        ({"TRADEBIND_LOW_AVAILABLE_USDT": "lots"}, "TRADEBIND_LOW_AVAILABLE_USDT"),
        ({"TRADEBIND_LOW_AVAILABLE_USDT": "-1"}, "TRADEBIND_LOW_AVAILABLE_USDT"),
    ],
)
def test_policy_from_env_names_the_bad_variable(env, name):
    with pytest.raises(ValueError, match=name):
        CheckPolicy.from_env(env)
