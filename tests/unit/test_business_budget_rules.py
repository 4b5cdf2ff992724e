"""The business check budget's pure rules (issue 14)."""

from __future__ import annotations

import pytest

from skillcard.domain.business_budget import Allowance, BudgetRules, is_burst_start, spent_message

RULES = BudgetRules(Allowance(2_000, 100_000), Allowance(10, 50), 100, 10)


def test_a_business_not_approved_gets_the_small_allowance():
    assert RULES.allowance(approved=False) == Allowance(10, 50)
    assert RULES.allowance(approved=True) == Allowance(2_000, 100_000)
    assert RULES.burst_window_seconds == 600
    with pytest.raises(ValueError):
        Allowance(0, 50)


def test_a_burst_is_told_by_the_check_that_reaches_it_only():
    assert is_burst_start(99, 100, 100)
    assert is_burst_start(95, 105, 100)  # a batch that steps over it
    assert not is_burst_start(100, 101, 100)  # told already in this window
    assert not is_burst_start(10, 99, 100)


def test_the_refusal_says_which_allowance_and_what_to_do():
    minute = spent_message(RULES.unapproved, "minute", approved=False)
    assert "10 checks a minute" in minute and "wait a minute" in minute
    assert "ask the hub to approve" in minute
    day = spent_message(RULES.approved, "day", approved=True, asked=60_000, left=40_000)
    assert "60,000 checks asked at once" in day and "40,000 left" in day
    assert "midnight UTC" in day and "approve" not in day
