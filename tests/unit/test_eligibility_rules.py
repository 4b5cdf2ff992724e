"""Eligibility rules: every shipped occupation decided with its reasons, and faulty rule files
refused with file, line and reason (issue 6)."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.domain.eligibility import Context, HeldFact, HolderFacts, MembershipFact
from skillcard.domain.eligibility_rules import Known, parse_rules
from skillcard.errors import ReferenceDataError
from skillcard.services.registry.eligibility import known_codes, shipped_rule_book
from skillcard.services.registry.reference_data import read_reference_data

TODAY = dt.date(2026, 11, 26)
HSE_OK = ((dt.date(2025, 6, 1), dt.date(2027, 6, 1)),)
DATA = read_reference_data()
CTX = Context(
    today=TODAY,
    qualification_titles={q.code: q.title for q in DATA.qualifications},
    institute_grades={i.code: i.qualifying_grades for i in DATA.institutes},
)
IET_MEMBER = (MembershipFact("IET", "Member", True),)

# occupation: (what is enough, and one unmet reason an empty record must give)
SHIPPED = {
    "INSTALLATION_ELECTRICIAN": (["NVQ3_ELECTROTECHNICAL", "AM2", "BS7671_2018"], 0, (), "AM2"),
    "MAINTENANCE_ELECTRICIAN": (
        ["L3_ELECTROTECHNICAL_MAINTENANCE", "AM2S", "BS7671_2018"],
        0,
        (),
        "AM2S",
    ),
    "DOMESTIC_ELECTRICIAN": (["CG2365", "CG2391", "BS7671_2018"], 0, (), "needs 2 of"),
    "ELECTRICAL_FITTER": (["L3_ELECTROTECHNICAL_APPRENTICESHIP"], 0, (), "NVQ"),
    "FESS_SYSTEM_TECHNICIAN": (["EWA_FESS"], 0, (), "Fire Detection"),
    "EXPERIENCED_WORKER": (["EWA_ELECTROTECHNICAL"], 0, (), "needs Electrotechnical Experienced"),
    "ELECTRICAL_LABOURER": ([], 0, (), "needs an HSE test pass"),
    "ELECTRICAL_SITE_MANAGER": (["SMSTS", "L4_MANAGEMENT"], 0, (), "management"),
    "DIGITAL_SUPPORT_OPERATIVE": (["CCNSG_SAFETY_PASSPORT"], 0, (), "CCNSG Safety Passport"),
    "DIGITAL_SUPPORT_TECHNICIAN": (["CG3667_02", "IOSH_WORKING_SAFELY"], 15, (), "15 hours of CPD"),
    "NETWORK_SECURITY_TECHNICIAN": (
        ["NVQ_STRUCTURED_CABLING", "FIRE_DETECTION_ALARM"],
        20,
        (),
        "15 hours",
    ),
    "DIGITAL_NETWORK_ENGINEER": (
        ["NVQ_STRUCTURED_CABLING", "CG3667_02", "BS7671_2018"],
        15,
        (),
        "Structured Cabling",
    ),
    "ELECTROTECHNICAL_PQP": ([], 0, IET_MEMBER, "membership of a recognised institute"),
}


def facts(codes, cpd=0.0, memberships=(), hse=HSE_OK, state="verified") -> HolderFacts:
    return HolderFacts(tuple(HeldFact(c, state) for c in codes), hse, cpd, memberships)


def test_every_shipped_occupation_has_a_test_here():
    names = {r.name for r in shipped_rule_book().of_scheme("ECS")}
    assert names == set(SHIPPED)
    titles = {r.title for r in shipped_rule_book().rules}
    for role in (
        "Digital Support Technician",
        "Digital Support Operative",
        "Network Security Technician",
        "Digital Network Engineer",
    ):
        assert role in titles


@pytest.mark.parametrize("occupation", sorted(SHIPPED))
def test_shipped_occupation_met_and_unmet_with_reasons(occupation):
    rule = shipped_rule_book().find("ECS", occupation)
    codes, cpd, memberships, unmet_text = SHIPPED[occupation]
    met = rule.evaluate(facts(codes, cpd, memberships), CTX)
    assert met.eligible, met.unmet
    assert met.reasons and all(r.met for r in met.reasons)
    assert any("HSE test pass, valid until" in r.text for r in met.reasons)
    empty = rule.evaluate(HolderFacts(), CTX)
    assert not empty.eligible
    assert any(unmet_text in text for text in empty.unmet), empty.unmet
    assert "needs an HSE test pass (taken within the last 2 years)" in empty.unmet


def test_installation_electrician_says_needs_am2_and_when_the_hse_pass_expired():
    rule = shipped_rule_book().find("ECS", "INSTALLATION_ELECTRICIAN")
    old_pass = ((dt.date(2023, 3, 1), dt.date(2028, 1, 1)),)  # valid, but over 2 years ago
    decision = rule.evaluate(facts(["NVQ3_ELECTROTECHNICAL", "BS7671_2018"], hse=old_pass), CTX)
    assert not decision.eligible
    assert "HSE pass expired 2025-03-01: take the test again" in decision.unmet
    am2 = [t for t in decision.unmet if "AM2" in t]
    assert am2 and am2[0].startswith("needs one of: AM2 assessment")
    met = [r.text for r in decision.reasons if r.met]
    assert "has Level 3 NVQ Diploma in Electrotechnical Services" in met


def test_declared_qualifications_are_pending_not_met_and_rejected_say_so():
    rule = shipped_rule_book().find("ECS", "EXPERIENCED_WORKER")
    pending = rule.evaluate(facts(["EWA_ELECTROTECHNICAL"], state="declared"), CTX)
    assert not pending.eligible
    assert any(r.pending and "waiting to be verified" in r.text for r in pending.reasons)
    rejected = rule.evaluate(facts(["EWA_ELECTROTECHNICAL"], state="rejected"), CTX)
    assert any("certificate given was rejected" in t for t in rejected.unmet)


def test_pqp_membership_must_be_verified_current_and_at_a_qualifying_grade():
    rule = shipped_rule_book().find("ECS", "PQP")  # found by its card type too
    assert rule.name == "ELECTROTECHNICAL_PQP"
    student = (MembershipFact("ICE", "Student", True),)
    assert "ICE membership (Student): Student is not a professionally qualified grade" in (
        rule.evaluate(facts([], memberships=student), CTX).unmet
    )
    lapsed = (MembershipFact("ICE", "Member", True, lapsed_on=dt.date(2026, 1, 31)),)
    assert (
        "ICE membership (Member) lapsed 2026-01-31"
        in rule.evaluate(facts([], memberships=lapsed), CTX).unmet
    )
    unverified = (MembershipFact("ICE", "Fellow", False),)
    decision = rule.evaluate(facts([], memberships=unverified), CTX)
    assert not decision.eligible and any(r.pending for r in decision.reasons)
    good = (MembershipFact("ICE", "Fellow", True),)
    assert rule.evaluate(facts([], memberships=good), CTX).eligible


KNOWN = Known(qualifications=frozenset({"AM2", "NVQ3"}), institutes=frozenset({"IET"}))


def _fault(text: str) -> ReferenceDataError:
    with pytest.raises(ReferenceDataError) as caught:
        parse_rules("bad.toml", text, KNOWN)
    return caught.value


def test_a_syntax_error_names_file_and_line():
    error = _fault('scheme = "ECS"\n\n[occupations.X]\nall_of = ["AM2"\n')
    assert error.file == "bad.toml" and error.line in (4, 5)
    assert str(error).startswith("bad.toml, line")
    error = _fault('scheme = "ECS"\n[occupations.X]\nall_of = = ["AM2"]\n')
    assert error.line == 3 and "Invalid value" in error.reason


def test_an_unknown_qualification_names_its_line():
    error = _fault('scheme = "ECS"\n[occupations.X]\nall_of = [\n  "AM2",\n  "AM3",\n]\n')
    assert (error.line, error.reason) == (5, "unknown qualification 'AM3'")


def test_parts_in_a_cycle_are_refused():
    text = (
        'scheme = "ECS"\n[parts.A]\nall_of = ["AM2", { part = "B" }]\n'
        '[parts.B]\nany_of = [{ part = "A" }]\n'
    )
    error = _fault(text)
    assert "cycle: A -> B -> A" in error.reason and error.line in (2, 4)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[occupations.X]\nall_of=["AM2"]\n', 'scheme = "CODE"'),
        ('scheme="E"\n[occupations.X]\nall_of=[]\n', "non-empty list"),
        ('scheme="E"\n[occupations.X]\nn_of=["AM2"]\nn=3\n', "n between 1 and 1"),
        ('scheme="E"\n[occupations.X]\nmembership=["XYZ"]\n', "unknown institute 'XYZ'"),
        ('scheme="E"\n[occupations.X]\nall_of=[{ part = "NOPE" }]\n', "no part named 'NOPE'"),
        ('scheme="E"\n[occupations.X]\ncpd_hours=-3\n', "cpd_hours"),
        ('scheme="E"\n[occupations.X]\nwhatever=["AM2"]\n', "unknown key 'whatever'"),
    ],
)
def test_other_faults_have_clear_reasons(text, reason):
    assert reason in _fault(text).reason


def test_the_shipped_files_name_only_known_codes():
    known = known_codes()
    assert "AM2" in known.qualifications and len(known.institutes) >= 20
    assert len(shipped_rule_book().rules) == len(SHIPPED)


def test_a_card_type_of_another_scheme_is_refused():
    known = Known(qualifications=frozenset({"AM2"}), card_types=frozenset({"ECS:GOLD"}))
    with pytest.raises(ReferenceDataError, match="CPCS has no card type 'GOLD'"):
        parse_rules("x.toml", 'scheme = "CPCS"\n[occupations.GOLD]\nall_of = ["AM2"]\n', known)
    assert parse_rules("x.toml", 'scheme = "ecs"\n[occupations.GOLD]\nall_of = ["AM2"]\n', known)
