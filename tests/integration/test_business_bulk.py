"""Bulk checks (issue 4): every row answered, bad files refused in words, formulas
neutralised, checks kept in the business's history."""

from __future__ import annotations

import csv
import io

import pytest

from skillcard.adapters import bulk_csv
from skillcard.errors import InvalidInput
from skillcard.services.business import bulk_check, business_checks
from tests.factories import business_budget
from tests.integration.test_business import register

BUDGET = business_budget()


def _run(uow_factory, who, tmp_path, data: bytes, business_id=None):
    source, result = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(data)
    job = bulk_check.start_bulk(
        budget=BUDGET, uow=uow_factory(), who=who, filename="in.csv", source=source
    )
    seen = []
    summary = bulk_check.run_bulk(
        uow_factory=uow_factory,
        who=who,
        source=source,
        result=result,
        business_id=job.business_id,
        budget=BUDGET,
        job_id=job.id,
        progress=lambda done, total: seen.append((done, total)),
    )
    rows = list(csv.DictReader(io.StringIO(result.read_text(encoding="utf-8-sig"))))
    return job, summary, rows, seen


def test_each_row_gets_its_outcome_and_the_history_keeps_them(uow_factory, registry, tmp_path):
    _business_id, admin = register(uow_factory)
    ann, bob, cy = (registry.cards[k] for k in ("ann", "bob", "cy"))
    text = (
        "\ufeffCard Number;Surname;Scheme;Label;Extra\r\n"
        f'{ann};nunez-obrien;;=HYPERLINK("x");1\r\n'
        "\r\n"
        f"{bob};Jones;;@bob\r\n"
        f"{cy};Jones;CPCS\r\n"
        "ECS00000001;Smith\r\n"
        f"{bob};\r\n"
        "NOPE123;Smith\r\n"
    )
    job, summary, rows, seen = _run(uow_factory, admin, tmp_path, text.encode("utf-8"))
    assert job.total_rows == 6 and job.message == "columns ignored: extra"
    assert [r["outcome"] for r in rows] == ["valid", "no_match", "valid", "error", "error", "error"]
    assert rows[0]["holder_name"] == "Ann Núñez-O'Brien" and rows[0]["row"] == "2"
    assert rows[0]["label"] == '\'=HYPERLINK("x")' and rows[1]["label"] == "'@bob"
    assert rows[1]["holder_name"] == ""  # no match shows nothing of the card
    assert "check digit" in rows[3]["error"] or "number" in rows[3]["error"]
    assert rows[4]["error"] == "the surname is missing"
    # the single check's words for the same number (one scheme directory behind every door)
    assert rows[5]["error"] == (
        "'NOPE123' does not look like a card number of any scheme skillcard knows"
    )
    assert (summary.rows, summary.valid, summary.errors) == (6, 2, 3)
    assert seen[-1] == (6, 6)
    done = bulk_check.job_status(uow=uow_factory(), who=admin, job_id=job.id)
    assert (done.status, done.done_rows, done.percent) == ("done", 6, 100)
    history = business_checks.history(uow=uow_factory(), who=admin)
    assert sorted(h.outcome for h in history) == ["no_match", "valid", "valid"]
    assert {h.method for h in history} == {"bulk"}
    _, other = register(uow_factory, "o@other.test", "OC123456", "Other")
    with pytest.raises(Exception, match="no such bulk check"):
        bulk_check.job_status(uow=uow_factory(), who=other, job_id=job.id)


def test_latin1_files_and_files_without_a_header(uow_factory, registry, tmp_path):
    _, admin = register(uow_factory)
    data = f"{registry.cards['ann']},Núñez-O'Brien,ECS,Señor\n".encode("latin-1")
    _, _summary, rows, _ = _run(uow_factory, admin, tmp_path, data)
    assert rows[0]["outcome"] == "valid" and rows[0]["label"] == "Señor"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\r\n  \n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" * 50, "not a CSV text file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
        (b"card,label\nECS1,x\n", "no surname column"),
        (b"number,surname\n" + b"ECS00000001,Smith\n" * 50_001, "more than 50,000 rows"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path, data, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(InvalidInput, match=message):
        bulk_csv.inspect(path)


def test_a_million_rows_are_refused_without_reading_them_all(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as out:
        out.write(b"number,surname\n")
        line = b"ECS00000001,Smith\n"
        for _ in range(100):
            out.write(line * 10_000)
    with pytest.raises(InvalidInput, match="more than 50,000 rows"):
        bulk_csv.inspect(path)


def test_every_value_that_could_be_a_formula_is_neutralised():
    out = io.StringIO()
    bulk_csv.write_csv(out, ["a", "=b"], [["=1+2", "+x", "-y", "@z", "plain", "\tt"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["a", "'=b"], ["'=1+2", "'+x", "'-y", "'@z", "plain", "'\tt"]]
