"""The HSE assessment's rules, without a database (issue 5): the attempt state machine, form
drawing from a seed, scoring by topic, the server's deadline."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.domain.assessment import AssessmentSettings, FormEntry, Item, draw_form, score
from skillcard.domain.assessment_attempts import (
    FINAL_STATES,
    TRANSITIONS,
    Attempt,
    AttemptState,
)
from skillcard.errors import Conflict, IllegalTransition, InvalidInput

T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
EVENTS = sorted({event for moves in TRANSITIONS.values() for event in moves})
SETTINGS = AssessmentSettings()


def bank() -> list[Item]:
    items = demo_items()
    for number, item in enumerate(items, start=1):
        item.id = number
    return items


def attempt(state: AttemptState = AttemptState.CREATED) -> Attempt:
    return Attempt(
        assessment_id=1, cardholder_id=1, scheme_id=1, seed=1, created_at=T0, state=state.value
    )


# -- the state machine: every (state, event) pair, legal or not ---------------------------
@pytest.mark.parametrize(("state", "event"), list(itertools.product(AttemptState, EVENTS)))
def test_every_move_is_exactly_what_the_table_says(state, event):
    a = attempt(state)
    expected = TRANSITIONS[state].get(event)
    if expected is None:
        with pytest.raises(IllegalTransition):
            a.move(event)
        assert a.state == state.value
    else:
        assert a.move(event) == expected and a.state == expected.value


def test_the_table_covers_every_state_and_the_final_states_are_final():
    assert set(TRANSITIONS) == set(AttemptState)
    assert {AttemptState.VERIFIED, AttemptState.REJECTED, AttemptState.VOIDED} == FINAL_STATES
    reachable, frontier = {AttemptState.CREATED}, [AttemptState.CREATED]
    while frontier:
        for there in TRANSITIONS[frontier.pop()].values():
            if there not in reachable:
                reachable.add(there)
                frontier.append(there)
    assert reachable == set(AttemptState)  # no state is dead code


def test_only_verification_reaches_verified():
    sources = {
        (s, e)
        for s, moves in TRANSITIONS.items()
        for e, t in moves.items()
        if t == AttemptState.VERIFIED
    }
    assert {e for _s, e in sources} == {"verify"}


# -- the settings are data ----------------------------------------------------------------
def test_the_default_settings_are_the_schemes_assessment():
    assert SETTINGS.question_count == 50 and SETTINGS.pass_mark == 43
    assert len(SETTINGS.topics) == 11 and sum(SETTINGS.topics.values()) == 50
    assert SETTINGS.topics["fire_emergency"] == 9 and SETTINGS.duration_minutes == 30
    assert AssessmentSettings.from_dict(SETTINGS.to_dict()) == SETTINGS
    assert SETTINGS.valid_until(dt.date(2024, 2, 29)) == dt.date(2026, 2, 28)


def test_settings_whose_topics_do_not_add_up_are_refused():
    with pytest.raises(InvalidInput, match="add up"):
        AssessmentSettings(question_count=40)
    with pytest.raises(InvalidInput, match="policy"):
        AssessmentSettings(violation_policy="shrug")


# -- drawing a form -----------------------------------------------------------------------
@given(st.integers(min_value=0, max_value=2**62))
def test_the_same_seed_draws_the_same_form_by_topic_counts(seed):
    items = bank()
    by_id = {i.id: i for i in items}
    form = draw_form(seed, items, SETTINGS)
    assert form == draw_form(seed, list(reversed(items)), SETTINGS)  # rebuildable
    assert len(form) == 50 and len({e.item_id for e in form}) == 50
    topics = {}
    for entry in form:
        topics[by_id[entry.item_id].topic] = topics.get(by_id[entry.item_id].topic, 0) + 1
        assert sorted(entry.order) == [0, 1, 2, 3]
    assert topics == SETTINGS.topics


def test_different_seeds_draw_different_forms_and_shuffle_options():
    forms = [draw_form(seed, bank(), SETTINGS) for seed in range(20)]
    assert len({tuple(f) for f in forms}) == 20
    assert {e.order for f in forms for e in f} != {(0, 1, 2, 3)}


def test_a_bank_short_of_a_topic_cannot_draw_a_form():
    items = [i for i in bank() if i.topic != "ppe" or i.code.endswith("001")]
    with pytest.raises(Conflict, match="Personal protective equipment"):
        draw_form(1, items, SETTINGS)


# -- scoring ------------------------------------------------------------------------------
def test_scoring_follows_the_shuffled_options_and_counts_by_topic():
    items = {i.id: i for i in bank()}
    form = draw_form(7, list(items.values()), SETTINGS)
    right = {e.item_id: e.order.index(items[e.item_id].key) for e in form}
    assert score(form, items, right, SETTINGS).correct == 50
    wrong_fire = {
        i: (place + 1) % 4 if items[i].topic == "fire_emergency" else place
        for i, place in right.items()
    }
    result = score(form, items, wrong_fire, SETTINGS)
    assert (result.correct, result.passed) == (41, False)
    assert result.weakest(1)[0].title == "Fire and emergency procedures"
    just = dict(list(right.items())[:43])
    assert score(form, items, just, SETTINGS).passed  # 43 is the pass mark: a pass


def test_an_unanswered_or_out_of_range_choice_scores_nothing():
    items = {i.id: i for i in bank()}
    form = [FormEntry(1, (0, 1, 2, 3))]
    assert score(form, items, {1: 7}, SETTINGS).correct == 0
    assert score(form, items, {}, SETTINGS).correct == 0


# -- the deadline -------------------------------------------------------------------------
def test_the_deadline_is_fixed_at_start_with_extra_time():
    a = attempt(AttemptState.READY)
    a.extra_minutes = 10
    a.start(T0, 30)
    assert a.deadline == T0 + dt.timedelta(minutes=40)
    assert a.seconds_left(T0 + dt.timedelta(minutes=39)) == 60
    assert not a.finalise_if_overdue(T0 + dt.timedelta(minutes=40))
    assert a.finalise_if_overdue(T0 + dt.timedelta(minutes=40, seconds=3))
    assert a.state == "timed_out" and a.submitted_at == a.deadline


def test_answers_after_the_deadline_or_replayed_are_refused():
    a = attempt(AttemptState.READY)
    a.form = [[5, [2, 0, 1, 3]]]
    a.start(T0, 30)
    a.check_answer(item_id=5, choice=1, seq=1, now=T0)
    with pytest.raises(Conflict, match="replay"):
        a.check_answer(item_id=5, choice=1, seq=1, now=T0)
    with pytest.raises(Conflict, match="time"):
        a.check_answer(item_id=5, choice=1, seq=2, now=T0 + dt.timedelta(minutes=31))
    with pytest.raises(InvalidInput):
        a.check_answer(item_id=6, choice=1, seq=3, now=T0)


def test_editing_an_item_makes_a_new_version_with_the_same_code():
    item = bank()[0]
    newer = item.revised(stem="A clearer question?")
    assert (newer.code, newer.version) == (item.code, item.version + 1)
    assert newer.content() != item.content()
    with pytest.raises(InvalidInput):
        item.revised(options=["same", "same", "x", "y"])


def test_the_demo_bank_has_ten_items_a_topic_with_sound_keys():
    items = demo_items()
    assert len(items) >= 110
    for topic in SETTINGS.topics:
        assert sum(i.topic == topic for i in items) >= 10
    assert {i.key for i in items} == {0, 1, 2, 3}  # the right answer is not always first
    assert all(i.explanation and i.status == "live" for i in items)


def test_nobody_reviews_their_own_or_a_declared_relatives_attempt():
    from skillcard.domain.invigilation import check_reviewer
    from skillcard.errors import PermissionDenied

    fair = {
        "reviewer_label": "inv@example.test",
        "reviewer_cardholder_id": 7,
        "candidate_cardholder_id": 8,
        "declared_conflict": False,
        "first_reviewer": None,
    }
    check_reviewer(**fair)
    for unfair, words in (
        ({"candidate_cardholder_id": 7}, "your own"),
        ({"declared_conflict": True}, "conflict"),
        ({"first_reviewer": "inv@example.test"}, "another invigilator"),
    ):
        with pytest.raises(PermissionDenied, match=words):
            check_reviewer(**{**fair, **unfair})
    check_reviewer(**{**fair, "first_reviewer": "other@example.test"})
