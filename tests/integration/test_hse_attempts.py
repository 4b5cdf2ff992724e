"""An HSE attempt from start to a verified result, and every refused answer (issue 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.photos import PhotoRefused, drawn_portrait
from skillcard.domain.assessment import AssessmentSettings
from skillcard.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from skillcard.errors import PermissionDenied as Forbidden
from skillcard.services.hse import hse_attempts, hse_bank, hse_review, invigilation
from tests.factories import OPERATOR

T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


PUBLIC_URL = "https://cards.example.test"  # what the caller passes: no global settings


@pytest.fixture
def bank(registry, uow_factory):
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    return registry


@pytest.fixture
def store(tmp_path):
    return InvigilationFileStore(tmp_path / "files")


def started(uow_factory, store, who, now=T0) -> int:
    attempt_id = hse_attempts.start_attempt(uow=uow_factory(), who=who, seed=42, now=now)
    hse_attempts.check_identity(
        uow=uow_factory(),
        store=store,
        who=who,
        attempt_id=attempt_id,
        face_photo=drawn_portrait("Ann Nunez"),
        id_photo=drawn_portrait("Ann Nunez passport"),
        now=now,
    )
    hse_attempts.begin(uow=uow_factory(), who=who, attempt_id=attempt_id, now=now)
    return attempt_id


def answer_key(uow_factory, attempt_id: int) -> dict[int, int]:
    """item id -> the place on screen of the right answer (what a perfect candidate clicks)."""
    with uow_factory() as uow:
        attempt = uow.hse_attempts.get(attempt_id)
        items = uow.hse_items.many(attempt.form_item_ids())
        return {i: order.index(items[i].key) for i, order in attempt.form}


def test_importing_the_demo_bank_twice_changes_nothing(bank, uow_factory):
    again = hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    assert again.added == 0 and again.revised == 0 and again.unchanged == len(demo_items())


def test_a_candidate_passes_and_the_verified_pass_becomes_an_hse_record(bank, uow_factory, store):
    ann = bank.principals["ann"]
    attempt_id = started(uow_factory, store, ann)
    view = hse_attempts.candidate_view(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0)
    assert len(view.questions) == 50 and view.seconds_left == 30 * 60
    key = answer_key(uow_factory, attempt_id)
    for seq, (item_id, place) in enumerate(list(key.items())[:45], start=1):
        hse_attempts.save_answer(
            uow=uow_factory(),
            who=ann,
            attempt_id=attempt_id,
            item_id=item_id,
            choice=place,
            seq=seq,
            now=T0 + dt.timedelta(seconds=seq),
        )
    resumed = hse_attempts.candidate_view(
        uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0 + dt.timedelta(minutes=5)
    )
    assert resumed.answered == 45 and resumed.seconds_left == 25 * 60
    assert resumed.answer_seq == 45
    state = hse_attempts.submit(
        uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0 + dt.timedelta(minutes=6)
    )
    assert state == "submitted"
    invigilator = bank.principals["invigilator"]
    queue = hse_review.review_queue(uow=uow_factory(), who=invigilator, now=T0)
    assert [e.id for e in queue] == [attempt_id] and queue[0].score == 45
    detail = hse_review.review_detail(uow=uow_factory(), who=invigilator, attempt_id=attempt_id)
    assert detail.face_photo_sha256 and detail.id_photo_sha256
    assert sum(a.right for a in detail.answers) == 45
    assert [e.kind for e in detail.timeline] == ["started", "submitted"]
    assert hse_review.my_results(uow=uow_factory(), who=ann).result is None  # not yet verified
    hse_review.decide(
        public_url=PUBLIC_URL,
        uow=uow_factory(),
        who=invigilator,
        attempt_id=attempt_id,
        decision="verify",
        now=T0 + dt.timedelta(hours=1),
    )
    mine = hse_review.my_results(uow=uow_factory(), who=ann)
    assert mine.result.passed and mine.result.score == 45
    assert mine.result.valid_until == dt.date(2028, 11, 26)
    with uow_factory() as uow:
        records = uow.hse_records.of_cardholder(bank.holders["ann"])
        mail = uow.outbox.recent(5, to_address="ann@example.test")
        actions = [e.action for e in uow.audit.for_entity("hse_attempt", str(attempt_id))]
    assert [(r.source, r.attempt_id, r.score) for r in records] == [("assessment", attempt_id, 45)]
    assert mail and "you passed" in mail[0].body and f"{PUBLIC_URL}/my" in mail[0].body
    assert actions[-1] == "hse.attempt.verify"


def test_refused_answers_store_nothing(bank, uow_factory, store):
    ann, bob = bank.principals["ann"], bank.principals["bob"]
    attempt_id = started(uow_factory, store, ann)
    item_id = next(iter(answer_key(uow_factory, attempt_id)))

    def save(who=ann, item=item_id, choice=0, seq=1, at=T0):
        return hse_attempts.save_answer(
            uow=uow_factory(),
            who=who,
            attempt_id=attempt_id,
            item_id=item,
            choice=choice,
            seq=seq,
            now=at,
        )

    save(seq=5)
    with pytest.raises(Conflict, match="replay"):
        save(seq=5, choice=1)
    with pytest.raises(NotFound):
        save(who=bob, seq=6)
    with pytest.raises(InvalidInput, match="not on your paper"):
        save(item=999_999, seq=7)
    with pytest.raises(InvalidInput, match="not one of the answers"):
        save(choice=4, seq=8)
    with uow_factory() as uow:
        assert uow.hse_attempts.answers(attempt_id) == {item_id: 0}
        assert uow.hse_attempts.get(attempt_id).answer_seq == 5
    late = T0 + dt.timedelta(minutes=31)
    with pytest.raises(Conflict, match=r"time .* is up"):
        save(seq=9, choice=2, at=late)
    with uow_factory() as uow:
        attempt = uow.hse_attempts.get(attempt_id)
        assert attempt.state == "timed_out" and attempt.score in (0, 1)
        assert uow.hse_attempts.answers(attempt_id) == {item_id: 0}


def test_extra_time_is_granted_recorded_and_moves_the_deadline(bank, uow_factory, store):
    ann = bank.principals["ann"]
    with pytest.raises(NotFound):  # another scheme's admin cannot see Ann
        invigilation.grant_adjustment(
            uow=uow_factory(),
            who=bank.principals["cpcs_admin"],
            cardholder_id=bank.holders["ann"],
            extra_minutes=15,
        )
    invigilation.grant_adjustment(
        uow=uow_factory(),
        who=bank.principals["invigilator"],
        cardholder_id=bank.holders["ann"],
        extra_minutes=15,
        reader=True,
        now=T0,
    )
    attempt_id = started(uow_factory, store, ann)
    view = hse_attempts.candidate_view(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0)
    assert view.seconds_left == 45 * 60 and view.reader
    with uow_factory() as uow:
        granted = uow.hse_adjustments.of_cardholder(bank.holders["ann"])
        assert granted.granted_by == bank.emails["invigilator"]


def test_an_id_photo_of_the_wrong_type_is_refused(bank, uow_factory, store, tmp_path):
    ann = bank.principals["ann"]
    attempt_id = hse_attempts.start_attempt(uow=uow_factory(), who=ann, now=T0)
    with pytest.raises(PhotoRefused):
        hse_attempts.check_identity(
            uow=uow_factory(),
            store=store,
            who=ann,
            attempt_id=attempt_id,
            face_photo=drawn_portrait("Ann"),
            id_photo=b"%PDF-1.4 not a photo",
            now=T0,
        )
    with uow_factory() as uow:
        assert uow.hse_attempts.get(attempt_id).state == "created"
    assert list((tmp_path / "files").rglob("*.jpg")) == []  # not even the good face photo
    with pytest.raises(IllegalTransition):  # no starting before the identity check
        hse_attempts.begin(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0)


def test_violations_are_flagged_or_fail_the_attempt_by_policy(bank, uow_factory, store):
    ann = bank.principals["ann"]
    attempt_id = started(uow_factory, store, ann)
    ended = invigilation.report_event(
        uow=uow_factory(), who=ann, attempt_id=attempt_id, kind="tab_hidden", now=T0
    )
    assert not ended
    with pytest.raises(InvalidInput):
        invigilation.report_event(
            uow=uow_factory(), who=ann, attempt_id=attempt_id, kind="started", now=T0
        )
    token, seconds = invigilation.show_attention(
        uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0
    )
    assert seconds == 10
    late = T0 + dt.timedelta(seconds=30)
    assert not invigilation.answer_attention(
        uow=uow_factory(), who=ann, attempt_id=attempt_id, token=token, now=late
    )
    faces = invigilation.add_snapshot(
        uow=uow_factory(),
        store=store,
        count_faces=lambda _: 0,
        who=ann,
        attempt_id=attempt_id,
        data=drawn_portrait("Ann"),
        now=late,
    )
    assert faces == 0
    with uow_factory() as uow:
        attempt = uow.hse_attempts.get(attempt_id)
        kinds = [e.kind for e in uow.hse_events.of_attempt(attempt_id) if e.violation]
        assert attempt.state == "started" and attempt.violations == 3
        assert kinds == ["tab_hidden", "attention_missed", "no_face"]
        # the scheme switches to "fail": the next violation ends the attempt
        assessment = uow.hse_assessments.by_code("HSE")
        assessment.settings_data = AssessmentSettings(violation_policy="fail").to_dict()
        uow.commit()
    assert invigilation.report_event(
        uow=uow_factory(), who=ann, attempt_id=attempt_id, kind="paste", now=late
    )
    with uow_factory() as uow:
        attempt = uow.hse_attempts.get(attempt_id)
        assert attempt.state == "submitted" and attempt.failed_by_violation
        assert attempt.passed is False


def test_reviewers_with_a_conflict_or_their_own_attempt_are_refused(bank, uow_factory, store):
    ann, invigilator = bank.principals["ann"], bank.principals["invigilator"]
    attempt_id = started(uow_factory, store, ann)
    hse_attempts.submit(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0)
    invigilation.declare_conflict(
        uow=uow_factory(),
        who=invigilator,
        cardholder_id=bank.holders["ann"],
        relationship="my sister",
    )
    with pytest.raises(Conflict, match="already declared"):
        invigilation.declare_conflict(
            uow=uow_factory(),
            who=invigilator,
            cardholder_id=bank.holders["ann"],
            relationship="my sister",
        )
    with pytest.raises(Forbidden, match="conflict"):
        hse_review.decide(
            public_url=PUBLIC_URL,
            uow=uow_factory(),
            who=invigilator,
            attempt_id=attempt_id,
            decision="verify",
        )
    with pytest.raises(Forbidden):  # a scheme admin is not an invigilator
        hse_review.review_detail(
            uow=uow_factory(), who=bank.principals["cpcs_admin"], attempt_id=attempt_id
        )
    with pytest.raises(InvalidInput, match="say why"):
        hse_review.decide(
            public_url=PUBLIC_URL,
            uow=uow_factory(),
            who=OPERATOR,
            attempt_id=attempt_id,
            decision="reject",
        )
    hse_review.decide(
        public_url=PUBLIC_URL,
        uow=uow_factory(),
        who=OPERATOR,
        attempt_id=attempt_id,
        decision="second_review",
        reason="flags to weigh",
    )
    with pytest.raises(Forbidden, match="another invigilator"):
        hse_review.decide(
            public_url=PUBLIC_URL,
            uow=uow_factory(),
            who=OPERATOR,
            attempt_id=attempt_id,
            decision="verify",
        )
    with uow_factory() as uow:
        assert uow.hse_attempts.get(attempt_id).state == "under_review"
        assert uow.hse_records.of_cardholder(bank.holders["ann"]) == []


def test_editing_a_live_item_makes_a_version_and_the_attempt_keeps_its_own(
    bank, uow_factory, store
):
    ann = bank.principals["ann"]
    attempt_id = started(uow_factory, store, ann)
    view = hse_attempts.candidate_view(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0)
    first = view.questions[0]
    with uow_factory() as uow:
        code = uow.hse_items.get(first.item_id).code
    with pytest.raises(Forbidden):
        hse_bank.revise_item(uow=uow_factory(), who=ann, code=code, stem="Changed?")
    newer = hse_bank.revise_item(
        uow=uow_factory(), who=bank.principals["hub"], code=code, stem="A clearer stem?"
    )
    with uow_factory() as uow:
        versions = [(i.version, i.status) for i in uow.hse_items.versions(code)]
    assert versions == [(1, "retired"), (newer.version, "live")]
    again = hse_attempts.candidate_view(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0)
    assert again.questions[0].stem == first.stem != "A clearer stem?"


def test_a_missed_attention_check_is_noticed_by_the_next_answer(bank, uow_factory, store):
    ann = bank.principals["ann"]
    attempt_id = started(uow_factory, store, ann)
    item_id = next(iter(answer_key(uow_factory, attempt_id)))
    invigilation.show_attention(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0)
    later = T0 + dt.timedelta(seconds=20)
    hse_attempts.save_answer(
        uow=uow_factory(),
        who=ann,
        attempt_id=attempt_id,
        item_id=item_id,
        choice=0,
        seq=1,
        now=later,
    )
    assert hse_attempts.submit(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=later) == (
        "submitted"
    )
    with pytest.raises(IllegalTransition):  # handing in twice
        hse_attempts.submit(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=later)
    with uow_factory() as uow:
        flags = [e.kind for e in uow.hse_events.of_attempt(attempt_id) if e.violation]
    assert flags == ["attention_missed"]


def test_a_snapshot_after_the_attempt_ended_is_refused_and_not_kept(
    bank, uow_factory, store, tmp_path
):
    ann = bank.principals["ann"]
    attempt_id = started(uow_factory, store, ann)
    hse_attempts.submit(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0)
    kept = set((tmp_path / "files").rglob("*.jpg"))
    with pytest.raises(Conflict, match="not in progress"):
        invigilation.add_snapshot(
            uow=uow_factory(),
            store=store,
            count_faces=lambda _: 1,
            who=ann,
            attempt_id=attempt_id,
            data=drawn_portrait("Someone else"),
            now=T0,
        )
    assert set((tmp_path / "files").rglob("*.jpg")) == kept


def test_a_strangers_snapshot_is_refused_before_faces_are_counted(bank, uow_factory, store):
    """The face detector is the costly part of a snapshot: it is spent only on the
    candidate's own attempt in progress, so nobody can keep it busy with other attempts."""
    ann, bob = bank.principals["ann"], bank.principals["bob"]
    attempt_id = started(uow_factory, store, ann)
    counted = []
    with pytest.raises((Forbidden, NotFound)):
        invigilation.add_snapshot(
            uow=uow_factory(),
            store=store,
            count_faces=lambda image: counted.append(image) or 1,
            who=bob,
            attempt_id=attempt_id,
            data=drawn_portrait("Bob"),
            now=T0,
        )
    assert counted == []
    with uow_factory() as uow:
        assert not [e for e in uow.hse_events.of_attempt(attempt_id) if e.kind == "snapshot"]
