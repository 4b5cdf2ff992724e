"""How long stored files are kept (domain/retention.py), purged by one service on either file
store: an HSE attempt's pictures go once the appeal window after its decision has passed,
unless an attempt still kept has the same picture; bulk results (test_bulk_purge.py) after
their days."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.file_stores import DatabaseFileStore, LocalFileStore
from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.adapters.photos import drawn_portrait
from skillcard.domain.retention import Retention
from skillcard.errors import PermissionDenied
from skillcard.services.audit.audit import history
from skillcard.services.files import file_retention
from skillcard.services.hse import hse_attempts, hse_review, invigilation
from tests.factories import OPERATOR
from tests.integration.test_hse_attempts import T0, started
from tests.integration.test_hse_attempts import bank as bank  # the fixture

KEEP = Retention(snapshot_appeal_days=30)
DECIDED = T0 + dt.timedelta(hours=1)


@pytest.fixture(params=["local", "database"])
def files(request, engine, tmp_path):
    if request.param == "local":
        return LocalFileStore(tmp_path / "files")
    if engine.dialect.name == "sqlite":  # one SQLite file has one writer: files in another
        url = f"sqlite:///{tmp_path / 'files.db'}"
        migrating = make_engine(url)
        upgrade(migrating)
        migrating.dispose()
        return DatabaseFileStore(make_engine(url))
    return DatabaseFileStore(engine)


def _decided_with_a_snapshot(uow_factory, pictures, bank) -> tuple[int, str]:
    ann = bank.principals["ann"]
    attempt_id = started(uow_factory, pictures, ann)
    frame = drawn_portrait("Ann at her desk")
    invigilation.add_snapshot(
        uow=uow_factory(),
        store=pictures,
        count_faces=lambda _: 1,
        who=ann,
        attempt_id=attempt_id,
        data=frame,
        now=T0 + dt.timedelta(minutes=1),
    )
    hse_attempts.submit(uow=uow_factory(), who=ann, attempt_id=attempt_id, now=T0)
    hse_review.decide(
        public_url="http://skillcard.test",
        uow=uow_factory(),
        who=bank.principals["invigilator"],
        attempt_id=attempt_id,
        decision="verify",
        now=DECIDED,
    )
    snapshot, _ = pictures.check(frame, 2 * 1024 * 1024, "snapshot")
    return attempt_id, snapshot


def test_pictures_go_after_the_appeal_window_and_only_then(bank, uow_factory, files):
    pictures = InvigilationFileStore(files)
    attempt_id, snapshot = _decided_with_a_snapshot(uow_factory, pictures, bank)
    with uow_factory() as uow:
        attempt = uow.hse_attempts.get(attempt_id)
        face, document = attempt.face_photo_sha256, attempt.id_photo_sha256
    every = {face, document, snapshot}
    purge = dict(uow_factory=uow_factory, who=OPERATOR, files=files, retention=KEEP)

    within = file_retention.purge_pictures(**purge, now=DECIDED + dt.timedelta(days=29))
    assert within.attempts == [] and all(pictures.get(d) for d in every)

    after = DECIDED + dt.timedelta(days=31)
    seen = file_retention.purge_pictures(**purge, now=after, dry_run=True)
    assert (seen.attempts, seen.files) == ([attempt_id], 3) and all(pictures.get(d) for d in every)
    done = file_retention.purge_pictures(**purge, now=after)
    assert (done.attempts, done.files) == ([attempt_id], 3)
    assert not any(pictures.get(d) for d in every)
    events = history(uow=uow_factory(), entity_type="hse_attempt", entity_id=str(attempt_id))
    assert events[-1].action == "hse.pictures.purge"
    assert file_retention.purge_pictures(**purge, now=after).attempts == []  # once only
    # the decision and the result stay: only the pictures went
    mine = hse_review.my_results(uow=uow_factory(), who=bank.principals["ann"]).result
    assert mine.attempt_id == attempt_id and mine.decided_at is not None


def test_a_picture_another_kept_attempt_also_has_stays(bank, uow_factory, files):
    pictures = InvigilationFileStore(files)
    attempt_id, snapshot = _decided_with_a_snapshot(uow_factory, pictures, bank)
    # Bob's attempt, not yet decided, shows the same face picture (stored once, by content)
    started(uow_factory, pictures, bank.principals["bob"])
    with uow_factory() as uow:
        face = uow.hse_attempts.get(attempt_id).face_photo_sha256
    purge = dict(uow_factory=uow_factory, who=OPERATOR, files=files, retention=KEEP)
    done = file_retention.purge_pictures(**purge, now=DECIDED + dt.timedelta(days=31))
    assert done.attempts == [attempt_id] and done.shared >= 1
    assert pictures.get(face) is not None and pictures.get(snapshot) is None


def test_only_the_hub_purges_pictures(bank, uow_factory, files):
    with pytest.raises(PermissionDenied):
        file_retention.purge_pictures(
            uow_factory=uow_factory, who=bank.principals["ann"], files=files, retention=KEEP
        )


def test_the_rule_says_what_is_kept():
    rule = Retention(result_days=7, snapshot_appeal_days=30)
    assert rule.keeps_upload("running") and not rule.keeps_upload("done")
    assert rule.keeps_snapshots(None, T0 + dt.timedelta(days=999))  # undecided: kept
    assert rule.keeps_snapshots(T0, T0 + dt.timedelta(days=30))
    assert not rule.keeps_snapshots(T0, T0 + dt.timedelta(days=30, seconds=1))
    assert rule.results_finished_before(T0) == T0 - dt.timedelta(days=7)
    with pytest.raises(ValueError):
        Retention(result_days=0)
