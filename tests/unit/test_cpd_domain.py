"""CPD in the domain and the evidence check by content (issue 6): no database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillcard.adapters.evidence_store import (
    MAX_EVIDENCE_BYTES,
    EvidenceRefused,
    EvidenceStore,
    check_evidence,
    safe_filename,
    sniff,
)
from skillcard.domain.applications import Application, AppState, draw_sample
from skillcard.domain.cpd import CpdRecord, hours_to_minutes, progress
from skillcard.errors import IllegalTransition, InvalidInput

NOW = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)


@given(st.floats(min_value=0.01, max_value=24))
def test_any_real_amount_up_to_24_hours_is_kept_in_whole_minutes(hours):
    minutes = hours_to_minutes(hours)
    assert 0 <= minutes <= 1440 and abs(minutes - hours * 60) <= 0.5


@given(st.one_of(st.floats(max_value=0), st.floats(min_value=24.001), st.just(float("nan"))))
def test_no_hours_negative_or_over_a_day_or_not_a_number(hours):
    with pytest.raises(InvalidInput):
        hours_to_minutes(hours)


def _record(day: dt.date, minutes: int, kind="self_study", status="self_declared"):
    return CpdRecord(1, day, kind, "t", minutes, NOW, status=status)


def test_a_future_activity_is_refused():
    with pytest.raises(InvalidInput, match="in the future"):
        _record(dt.date(2026, 7, 1), 60)


def test_progress_by_month_and_by_type_counts_only_the_year():
    records = [
        _record(dt.date(2026, 1, 5), 90),
        _record(dt.date(2026, 3, 1), 120, "toolbox_talk", "verified"),
        _record(dt.date(2025, 12, 31), 600),
    ]
    p = progress(records, 2026, 30)
    assert p.hours == 3.5 and p.verified_hours == 2 and p.percent == 12 and p.to_go == 26.5
    assert p.by_month[0] == 1.5 and p.by_month[2] == 2 and sum(p.by_month) == 3.5
    assert p.by_type == (("Toolbox talk", 2.0), ("Self-study", 1.5))


@given(
    st.lists(st.integers(1, 10**6), min_size=1, max_size=300),
    st.integers(0, 2**48),
    st.floats(0.5, 100),
)
def test_the_sample_is_reproducible_from_its_seed(ids, seed, share):
    first = draw_sample(ids, share, seed)
    assert first == draw_sample(list(reversed(ids)), share, seed)
    assert set(first) <= set(ids) and len(first) >= 1


def test_the_application_states_move_only_forward():
    app = Application(1, 1, 1, "X", NOW)
    with pytest.raises(IllegalTransition):
        app.move(AppState.CARD_ISSUED, NOW)
    app.move(AppState.RECEIVED, NOW)
    with pytest.raises(InvalidInput, match="say why"):
        app.move(AppState.REJECTED, NOW, message=" ")
    app.move(AppState.REJECTED, NOW, message="Forged certificate")
    assert not app.is_open
    with pytest.raises(IllegalTransition, match="rejected cannot become received"):
        app.move(AppState.RECEIVED, NOW)


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "image/heic"),
        (b"MZ\x90\x00", None),
        (b"\x7fELF\x02\x01", None),
        (b"#!/bin/sh\nrm -rf /", None),
        (b"<html><script>alert(1)</script>", None),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00", None),  # an MP4 video is not a HEIC photo
    ],
)
def test_evidence_is_known_by_its_bytes_never_its_name(data, media_type):
    assert sniff(data) == media_type
    if media_type is None:
        with pytest.raises(EvidenceRefused, match="whatever its name says"):
            check_evidence(data, "certificate.pdf")


def test_oversized_and_empty_evidence_is_refused_and_nothing_written(tmp_path):
    store = EvidenceStore(tmp_path)
    for data in (b"", b"%PDF-" + b"0" * MAX_EVIDENCE_BYTES):
        with pytest.raises(EvidenceRefused):
            store.put(data, "x.pdf")
    assert not (tmp_path / "evidence").exists()
    digest, kind = store.put(b"%PDF-1.4 ok", "../../etc/passwd")
    assert kind == "application/pdf" and store.get(digest, kind) == b"%PDF-1.4 ok"
    assert store.put(b"%PDF-1.4 ok")[0] == digest  # stored once, by content
    assert safe_filename("../../etc/pass\x00wd") == "passwd"
    assert store.get("../" * 10, kind) is None
