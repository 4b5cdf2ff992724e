"""The shipped reference data loads, and a malformed file is reported by file, line and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from skillcard.domain.schemes import CardCategory
from skillcard.errors import ReferenceDataError
from skillcard.services.registry.reference_data import DATA_DIRECTORY, read_reference_data


@pytest.fixture(scope="module")
def shipped():
    return read_reference_data()


def test_there_are_38_schemes_22_of_them_from_sources(shipped):
    assert len(shipped.schemes) == 38
    assert sum(not s.sample for s in shipped.schemes) == 22
    assert all("(sample data)" in s.name for s in shipped.schemes if s.sample)
    assert all(s.source for s in shipped.schemes if not s.sample)


def test_every_card_number_prefix_leads_to_one_scheme(shipped):
    prefixes = [s.number_prefix for s in shipped.schemes]
    assert len(set(prefixes)) == len(prefixes)
    for a in prefixes:
        for b in prefixes:
            assert a == b or not b.startswith(a), f"{a} is the start of {b}"
    by_code = {s.code: s.number_prefix for s in shipped.schemes}
    assert by_code["JIB-PMES"] == "JIBPM"
    assert by_code["BESA SKILLcard"] == "BESA"
    assert {s.number_digits for s in shipped.schemes} == {8}


def test_every_scheme_has_card_types(shipped):
    with_types = {scheme for scheme, _ in shipped.card_types}
    assert with_types == {s.code for s in shipped.schemes}


def test_ecs_installation_electrician_is_a_gold_three_year_card(shipped):
    ecs = {ct.code: ct for scheme, ct in shipped.card_types if scheme == "ECS"}
    gold = ecs["INSTALLATION_ELECTRICIAN"]
    assert (gold.colour, gold.validity_months, gold.category) == ("Gold", 36, CardCategory.SKILLED)
    assert gold.renewable and not gold.sample
    assert ecs["MANAGER"].category is CardCategory.SUPERVISOR_MANAGER
    assert ecs["TRAINEE"].validity_months == 24
    assert ecs["EXPERIENCED_WORKER"].validity_months == 18
    assert (ecs["PQP"].validity_months, ecs["PQP"].renewable) == (60, False)
    for code in ("TRAINEE", "PRE_APPRENTICE", "PROVISIONAL", "TEMPORARY", "CONDITIONAL"):
        assert not ecs[code].renewable, code


def test_the_digital_roles_are_ecs_occupations(shipped):
    ecs = {o.title: o.card_type for o in shipped.occupations if o.scheme == "ECS"}
    for title in (
        "Digital Support Technician",
        "Digital Support Operative",
        "Network Security Technician",
        "Digital Network Engineer",
    ):
        assert ecs[title] == title.upper().replace(" ", "_")
    assert ecs["Installation Electrician"] == "INSTALLATION_ELECTRICIAN"


def test_net_zero_qualifications_cover_ev_solar_heat_pumps_and_batteries(shipped):
    net_zero = [q.title.lower() for q in shipped.qualifications if "net_zero" in q.tags]
    assert len(shipped.qualifications) >= 25
    for topic in ("electric vehicle", "solar photovoltaic", "heat pump", "energy storage"):
        assert any(topic in title for title in net_zero), topic


def test_institutes_include_the_sourced_five(shipped):
    institutes = {i.code: i for i in shipped.institutes}
    assert len(institutes) >= 20
    assert {c for c, i in institutes.items() if not i.sample} == {
        "IET",
        "ILP",
        "CIH",
        "RICS",
        "BIID",
    }
    assert institutes["IET"].check_membership_number("iet1234567") == "IET1234567"
    assert "Fellow" in institutes["ILP"].qualifying_grades


@pytest.fixture
def copy(tmp_path) -> Path:
    """A writable copy of the shipped files."""
    for path in DATA_DIRECTORY.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _replace_line(directory: Path, name: str, line: int, text: str) -> None:
    lines = (directory / name).read_text(encoding="utf-8").splitlines()
    lines[line - 1] = text
    (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _line(directory: Path, name: str, line: int) -> str:
    return (directory / name).read_text(encoding="utf-8").splitlines()[line - 1]


def _error(directory: Path) -> ReferenceDataError:
    with pytest.raises(ReferenceDataError) as caught:
        read_reference_data(directory)
    return caught.value


def test_a_copy_of_the_shipped_files_loads(copy):
    assert len(read_reference_data(copy).schemes) == 38


def test_a_number_that_is_not_whole_is_refused(copy):
    row = _line(copy, "card_types.csv", 2).split(",")
    assert row[5] == "36"
    row[5] = "abc"
    _replace_line(copy, "card_types.csv", 2, ",".join(row))
    error = _error(copy)
    assert (error.file, error.line) == ("card_types.csv", 2)
    assert error.reason == "column 'validity_months' must be a whole number of months, not 'abc'"


def test_an_unknown_scheme_is_refused(copy):
    row = _line(copy, "card_types.csv", 3)
    _replace_line(copy, "card_types.csv", 3, row.replace("ECS,", "XYZ,", 1))
    error = _error(copy)
    assert (error.file, error.line, error.reason) == ("card_types.csv", 3, "unknown scheme 'XYZ'")


def test_a_duplicate_card_type_code_names_the_first_line(copy):
    _replace_line(copy, "card_types.csv", 5, _line(copy, "card_types.csv", 2))
    error = _error(copy)
    assert (error.file, error.line) == ("card_types.csv", 5)
    assert error.reason == (
        "duplicate card type code 'INSTALLATION_ELECTRICIAN' for scheme ECS (first on line 2)"
    )


def test_an_unknown_category_is_refused(copy):
    row = _line(copy, "card_types.csv", 2)
    _replace_line(copy, "card_types.csv", 2, row.replace(",skilled,", ",master,"))
    error = _error(copy)
    assert (error.file, error.line) == ("card_types.csv", 2)
    assert error.reason.startswith("category must be one of skilled, apprentice, trainee")
    assert error.reason.endswith("not 'master'")


def test_a_bad_membership_pattern_is_refused(copy):
    row = _line(copy, "institutes.csv", 2)
    _replace_line(copy, "institutes.csv", 2, row.replace(r"IET\d{7}", r"IET(\d{7}"))
    error = _error(copy)
    assert (error.file, error.line) == ("institutes.csv", 2)
    assert error.reason.startswith(
        "membership_pattern is not a valid regular expression: missing )"
    )


def test_a_missing_column_is_refused(copy):
    lines = (copy / "qualifications.csv").read_text(encoding="utf-8").splitlines()
    cut = [",".join(line.split(",")[1:]) for line in lines]  # drop the first column: code
    (copy / "qualifications.csv").write_text("\n".join(cut) + "\n", encoding="utf-8")
    error = _error(copy)
    assert (error.file, error.line, error.reason) == (
        "qualifications.csv",
        1,
        "missing column 'code'",
    )


def test_an_extra_column_is_refused(copy):
    header = _line(copy, "schemes.csv", 1)
    _replace_line(copy, "schemes.csv", 1, header.replace("website", "web_site"))
    error = _error(copy)
    assert (error.file, error.line) == ("schemes.csv", 1)
    assert error.reason.startswith("unknown column 'web_site' (expected: code, name,")


def test_a_file_that_is_not_utf8_is_refused_at_the_line(copy):
    path = copy / "occupations.csv"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"Domestic", b"Dom\xe9stic")  # Latin-1, as some editors save
    path.write_bytes(b"\n".join(lines))
    error = _error(copy)
    assert (error.file, error.line) == ("occupations.csv", 4)
    assert "not UTF-8" in error.reason


def test_a_number_prefix_that_starts_another_is_refused(copy):
    row = _line(copy, "schemes.csv", 3)  # ECS, after CSCS on line 2
    assert row.startswith("ECS,")
    _replace_line(copy, "schemes.csv", 3, row.replace(",ECS,8,", ",CS,8,"))
    error = _error(copy)
    assert (error.file, error.line) == ("schemes.csv", 3)
    assert error.reason == "number_prefix 'CS' is the start of 'CSCS' on line 2"


def test_empty_lines_are_skipped_and_later_lines_keep_their_numbers(copy):
    path = copy / "card_types.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = lines[1].split(",")
    row[6] = "-3"  # cpd_target_hours
    lines[1:2] = ["", ",".join(row)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error = _error(copy)
    assert (error.file, error.line) == ("card_types.csv", 3)
    assert error.reason == "column 'cpd_target_hours' must be a whole number of hours, not '-3'"


def test_an_occupation_must_lead_to_a_card_type_of_its_scheme(copy):
    row = _line(copy, "occupations.csv", 2)
    _replace_line(copy, "occupations.csv", 2, row.replace(",INSTALLATION_ELECTRICIAN,", ",GOLD,"))
    error = _error(copy)
    assert (error.file, error.line) == ("occupations.csv", 2)
    assert error.reason == "unknown card type 'GOLD' for scheme ECS"
