"""Issue 19: one place gives the words for every code word, date and time a person reads."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.domain import labels
from skillcard.domain.assessment_attempts import AttemptState
from skillcard.domain.business import BulkStatus, BusinessCheckMethod, WorkforceState
from skillcard.domain.cards import CardState, CardStatus
from skillcard.domain.checks import CheckMethod, CheckOutcome


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("outcome", CheckOutcome),
        ("verdict", CheckOutcome),
        ("card_status", CardStatus),
        ("card_state", CardState),
        ("method", list(CheckMethod) + list(BusinessCheckMethod)),
        ("workforce_state", WorkforceState),
        ("bulk_status", BulkStatus),
    ],
)
def test_every_code_word_has_its_own_words(kind, values):
    for value in values:
        assert value.value in labels.KINDS[kind] or value in labels.KINDS[kind], (kind, value)
        words = labels.label(kind, value.value)
        assert "_" not in words and words != value.value


def test_an_unlisted_code_is_made_readable_not_shown_raw():
    assert labels.label("code", "EV_CHARGE_POINT") == "Ev charge point"
    assert labels.label("outcome", "no_match") == "No card matches"
    assert labels.label("actor", "cli") == "the command line"
    assert labels.label("actor", "ann@example.test") == "ann@example.test"
    assert labels.label("outcome", None) == ""


def test_dates_have_no_leading_zero_and_times_name_the_uk_zone():
    assert labels.long_date(dt.date(2029, 6, 6)) == "6 June 2029"
    winter = dt.datetime(2026, 12, 6, 9, 5)  # stored UTC, without a zone
    summer = dt.datetime(2026, 7, 1, 9, 5, tzinfo=dt.UTC)
    assert labels.date_time(winter) == "6 December 2026 at 09:05 GMT"
    assert labels.date_time(summer) == "1 July 2026 at 10:05 BST"
    assert labels.short_date_time(summer) == "2026-07-01 10:05 BST"
    # just before midnight UTC in summer is the next day in the UK
    assert labels.long_date(dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)) == "2 July 2026"


def test_every_attempt_state_has_words_and_a_sitting_s_moments_name_the_zone():
    for state in AttemptState:
        words = labels.label("attempt_state", state.value)
        assert "_" not in words and words[:1].isupper()
    assert labels.label("attempt_state", "timed_out") == "Ran out of time"
    assert labels.clock_time(dt.datetime(2026, 7, 1, 9, 5, 3, tzinfo=dt.UTC)) == "10:05:03 BST"
    assert labels.clock_time(None) == ""
