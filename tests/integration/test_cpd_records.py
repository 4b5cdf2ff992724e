"""CPD records: logging with evidence, bad input refused with nothing stored, progress,
exports, and who may see the evidence (issue 6). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables_mycard
from skillcard.adapters.evidence_store import MAX_EVIDENCE_BYTES
from skillcard.errors import InvalidInput, NotFound, PermissionDenied
from skillcard.services.mycard import cpd
from skillcard.services.mycard.cpd_export import cpd_csv, cpd_pdf
from tests.mycard_support import EXE, PDF, png_bytes, sample_all_of_ecs, stored_files

TODAY = dt.date.today()


def _log(uow_factory, reg, files_store, **changes):
    values = {
        # Within this year, so the year's progress counts it (on 1 January, today itself).
        "activity_on": max(TODAY - dt.timedelta(days=3), TODAY.replace(month=1, day=1)),
        "activity_type": "training_course",
        "title": "EV charge point installation",
        "hours": "6.5",
        "provider": "Acme Training",
        "learned": "Earthing arrangements for EV chargers",
        "reflection": "I will check PME conditions first",
        "files": [("certificate.pdf", PDF)],
    }
    values.update(changes)
    return cpd.record_cpd(
        uow=uow_factory(),
        who=reg.principals["ann"],
        store=files_store,
        cardholder_id=reg.holders["ann"],
        **values,
    )


def _anns_log(uow_factory, reg):
    return cpd.cpd_log(
        uow=uow_factory(), who=reg.principals["ann"], cardholder_id=reg.holders["ann"]
    )


def _add_evidence(uow_factory, reg, files_store, key: str, entry_id: int, files):
    return cpd.add_cpd_evidence(
        uow=uow_factory(),
        who=reg.principals[key],
        store=files_store,
        record_id=entry_id,
        files=files,
    )


def _count(engine) -> tuple[int, int]:
    with engine.connect() as c:
        records = c.scalar(sa.select(sa.func.count()).select_from(tables_mycard.cpd_records))
        files = c.scalar(sa.select(sa.func.count()).select_from(tables_mycard.evidence_files))
    return records, files


def test_holder_logs_cpd_with_evidence_and_sees_progress(mycard, uow_factory, evidence_store):
    _log(uow_factory, mycard, evidence_store)
    _log(
        uow_factory,
        mycard,
        evidence_store,
        title="Toolbox talk: ladders",
        activity_type="toolbox_talk",
        hours="0.5",
        files=[("ladder.png", png_bytes())],
    )
    log = _anns_log(uow_factory, mycard)
    assert log.entries[0].record.title in (
        "Toolbox talk: ladders",
        "EV charge point installation",
    )
    assert log.progress.target_hours == 30 and log.progress.hours == 7.0
    assert log.progress.percent == 23 and log.progress.to_go == 23.0
    assert dict(log.progress.by_type) == {"Training course": 6.5, "Toolbox talk": 0.5}
    files = [f for e in log.entries for f in e.evidence]
    assert sorted(f.media_type for f in files) == ["application/pdf", "image/png"]
    assert all(not e.record.verified for e in log.entries)  # self-declared until verified
    assert len(stored_files(evidence_store)) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hours": "-2"}, "more than 0"),
        ({"hours": "25"}, "at most 24 hours"),
        ({"hours": "lots"}, "not a number"),
        ({"activity_on": TODAY + dt.timedelta(days=3)}, "in the future"),
        ({"files": [("certificate.pdf", EXE)]}, "not a PDF, JPEG, PNG or HEIC"),
        ({"files": [("big.pdf", PDF + b"0" * MAX_EVIDENCE_BYTES)]}, "larger than 10 MB"),
        ({"files": [("empty.pdf", b"")]}, "is empty"),
        ({"title": "   "}, "title"),
        ({"activity_type": "napping"}, "not a kind of CPD"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    mycard, uow_factory, evidence_store, engine, changes, message
):
    with pytest.raises(InvalidInput, match=message):
        _log(uow_factory, mycard, evidence_store, **changes)
    assert _count(engine) == (0, 0)
    assert stored_files(evidence_store) == []


def test_no_more_than_24_hours_in_one_day_across_entries(
    mycard, uow_factory, evidence_store, engine
):
    day = TODAY
    _log(uow_factory, mycard, evidence_store, activity_on=day, hours="20", files=[])
    with pytest.raises(InvalidInput, match="at most 4 more hours"):
        _log(uow_factory, mycard, evidence_store, activity_on=day, hours="5", files=[])
    assert _count(engine) == (1, 0)


def test_only_the_holder_logs_their_cpd(mycard, uow_factory, evidence_store):
    with pytest.raises(PermissionDenied):
        cpd.record_cpd(
            uow=uow_factory(),
            who=mycard.principals["bob"],
            store=evidence_store,
            cardholder_id=mycard.holders["ann"],
            activity_on=TODAY,
            activity_type="self_study",
            title="x",
            hours=1,
        )


def test_who_may_see_a_holders_evidence(mycard, uow_factory, evidence_store):
    _log(uow_factory, mycard, evidence_store)
    log = _anns_log(uow_factory, mycard)
    evidence_id = log.entries[0].evidence[0].id

    def fetch(key):
        return cpd.evidence_bytes(
            uow=uow_factory(),
            who=mycard.principals[key],
            store=evidence_store,
            evidence_id=evidence_id,
        )

    assert fetch("ann")[1] == PDF and fetch("ecs_admin")[1] == PDF and fetch("hub")[1] == PDF
    for stranger in ("bob", "cpcs_admin", "assessor", "biz_admin", "invigilator"):
        with pytest.raises(NotFound):
            fetch(stranger)
        with pytest.raises(NotFound):
            cpd.cpd_log(
                uow=uow_factory(),
                who=mycard.principals[stranger],
                cardholder_id=mycard.holders["ann"],
            )
    # Once ECS's audit samples Ann (100%: every holder), ECS's assessor may look; still not
    # CPCS's people.
    sample_all_of_ecs(uow_factory, mycard, seed=7)
    assert fetch("assessor")[1] == PDF
    with pytest.raises(NotFound):
        fetch("cpcs_admin")


def test_assessor_verifies_a_sampled_entry(mycard, uow_factory, evidence_store):
    entry_id = _log(uow_factory, mycard, evidence_store)
    with pytest.raises(NotFound):  # not sampled yet
        cpd.verify_cpd(uow=uow_factory(), who=mycard.principals["assessor"], record_id=entry_id)
    sample_all_of_ecs(uow_factory, mycard, seed=1)
    cpd.verify_cpd(uow=uow_factory(), who=mycard.principals["assessor"], record_id=entry_id)
    log = _anns_log(uow_factory, mycard)
    assert log.entries[0].record.verified and log.progress.verified_hours == 6.5


def test_csv_export_neutralises_formulas_and_pdf_reads_back(mycard, uow_factory, evidence_store):
    _log(
        uow_factory,
        mycard,
        evidence_store,
        title='=HYPERLINK("http://evil")',
        provider="@SUM(A1)",
        learned="-1+1",
        reflection="+cmd",
    )
    log = _anns_log(uow_factory, mycard)
    rows = list(csv.DictReader(io.StringIO(cpd_csv(log))))
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["provider"] == "'@SUM(A1)" and rows[0]["learned"] == "'-1+1"
    assert rows[0]["reflection"] == "'+cmd" and rows[0]["hours"] == "6.5"
    from pypdf import PdfReader

    text = " ".join(PdfReader(io.BytesIO(cpd_pdf(log))).pages[0].extract_text().split())
    assert "Núñez-O'Brien" in text and "6.5 of 30 hours" in text and "certificate.pdf" in text
    # issue 19: dates read as on every page ("6 June 2029"), never "06 June" or ISO
    day = log.entries[0].record.activity_on
    assert f"{day.day} {day:%B %Y}:" in text and day.isoformat() not in text
    assert " 0" + str(dt.date.today().day) + " " not in text


def test_holder_adds_a_file_to_an_entry_later_and_no_one_else_can(
    mycard, uow_factory, evidence_store
):
    entry_id = _log(uow_factory, mycard, evidence_store, files=[])
    added = _add_evidence(
        uow_factory, mycard, evidence_store, "ann", entry_id, [("later.png", png_bytes())]
    )
    assert added == 1
    with pytest.raises(NotFound):
        _add_evidence(uow_factory, mycard, evidence_store, "bob", entry_id, [("x.pdf", PDF)])
    with pytest.raises(PermissionDenied):
        _add_evidence(uow_factory, mycard, evidence_store, "ecs_admin", entry_id, [("x.pdf", PDF)])
    with pytest.raises(InvalidInput, match="not a PDF"):
        _add_evidence(uow_factory, mycard, evidence_store, "ann", entry_id, [("x.pdf", EXE)])
    log = _anns_log(uow_factory, mycard)
    assert [f.filename for f in log.entries[0].evidence] == ["later.png"]
