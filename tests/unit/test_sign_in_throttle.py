"""The sign-in throttle's rules, without a server (issue 14, Accounts 3)."""

from __future__ import annotations

from skillcard.domain.sign_in_throttle import (
    Scope,
    SignInLimits,
    refusal_is_audited,
    refusal_message,
    subjects,
)

LIMITS = SignInLimits.of(
    slow_after=5, lock_after=20, address_per_minute=30, address_per_hour=200,
    account_limit=50, account_window_seconds=60,
)  # fmt: skip


def test_no_two_stages_share_a_counter():
    names = subjects("Ann@Example.test ", "client-hash", "secret")
    keys = [stage.key(names[stage.scope]) for stage in LIMITS.stages]
    assert len(set(keys)) == len(keys) and all(len(key) <= 100 for key in keys)


def test_counters_hold_no_e_mail_address_and_one_account_is_one_name():
    names = subjects("Ann@Example.test ", "client-hash", "secret")
    assert names == subjects("ann@example.test", "client-hash", "secret")
    assert "ann" not in names[Scope.ACCOUNT] and "ann" not in names[Scope.PAIR]
    assert (
        names[Scope.ACCOUNT] != subjects("ann@example.test", "client-hash", "other")[Scope.ACCOUNT]
    )


def test_refusals_are_audited_at_the_lock_then_in_doublings():
    assert [n for n in range(1, 70) if refusal_is_audited(n)] == [1, 2, 4, 8, 16, 32, 64]
    assert not refusal_is_audited(0)


def test_a_locked_account_is_told_how_to_get_back_in():
    (hourly,) = [s for s in LIMITS.of_scope(Scope.PAIR) if s.rule.window_seconds == 3600]
    (account,) = LIMITS.of_scope(Scope.ACCOUNT)
    for stage in (hourly, account):
        assert "/password/forgot" in refusal_message(stage, 1800)
    assert "30 minutes" in refusal_message(hourly, 1800)
