from tradebind.domain.verdicts import PRECEDENCE, CheckWarning, Finding, Verdict, decide


def test_no_findings_is_connected():
    decision = decide([])
    assert decision.verdict is Verdict.CONNECTED
    assert decision.verdict.accepted
    assert decision.problems == decision.warnings == ()


def test_warnings_only_give_connected_with_warnings_and_join_fixes():
    decision = decide(
        [Finding(CheckWarning.NO_IP_RESTRICTION, "Restrict it."), Finding(CheckWarning.KEY_OLD, "Rotate it.")]
    )
    assert decision.verdict is Verdict.CONNECTED_WITH_WARNINGS
    assert decision.fix == "Restrict it. Rotate it."
    assert [w.code for w in decision.warnings] == [CheckWarning.NO_IP_RESTRICTION, CheckWarning.KEY_OLD]


def test_earliest_blocking_finding_wins_and_keeps_the_others():
    decision = decide(
        [
            Finding(CheckWarning.NO_IP_RESTRICTION, "Restrict it."),
            Finding(Verdict.MISSING_PERMISSION, "Tick trade."),
            Finding(Verdict.WITHDRAW_ENABLED, "Untick withdraw."),
        ]
    )
    assert decision.verdict is Verdict.WITHDRAW_ENABLED
    assert decision.fix == "Untick withdraw."
    assert not decision.verdict.accepted
    assert [p.code for p in decision.problems] == [Verdict.WITHDRAW_ENABLED, Verdict.MISSING_PERMISSION]
    assert [w.code for w in decision.warnings] == [CheckWarning.NO_IP_RESTRICTION]


def test_duplicate_codes_keep_the_first_fix():
    decision = decide([Finding(Verdict.RATE_LIMITED, "first"), Finding(Verdict.RATE_LIMITED, "second")])
    assert decision.fix == "first"
    assert len(decision.problems) == 1


def test_every_failing_verdict_has_a_rank():
    assert set(PRECEDENCE) == set(Verdict) - {Verdict.CONNECTED, Verdict.CONNECTED_WITH_WARNINGS}


def test_names_are_stable_strings():
    assert Verdict.IP_NOT_ALLOWED == "IP_NOT_ALLOWED"
    assert CheckWarning.FUNDS_IN_FUNDING_ACCOUNT == "FUNDS_IN_FUNDING_ACCOUNT"
