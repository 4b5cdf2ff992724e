"""Applications, qualifications, PQP memberships and the CPD audit, end to end through the
services on SQLite and PostgreSQL (issue 6)."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.domain.applications import draw_sample
from skillcard.domain.cards import add_months
from skillcard.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from skillcard.services.mycard import cpd, cpd_audit
from skillcard.services.registry import applications as apps
from skillcard.services.registry import cardholders, cards, qualifications
from tests.factories import OPERATOR
from tests.mycard_support import PDF, add_hse_pass, qualify_ann

TODAY = dt.date.today()


LONG_AGO = dt.date(2015, 6, 1)


def _apply(uow_factory, who, occupation: str, renews: str | None = None) -> int:
    """``who`` applies for an ECS card for ``occupation`` (or to renew card ``renews``)."""
    return apps.start_application(
        uow=uow_factory(),
        who=who,
        scheme_code="ECS",
        occupation_code=occupation,
        renews_card_number=renews,
    )


def _decide(uow_factory, who, app_id: int, action: str, message: str = ""):
    return apps.decide_application(
        uow=uow_factory(), who=who, application_id=app_id, action=action, message=message
    )


def _declare(uow_factory, who, files_store, code: str, **proof) -> int:
    """``who`` declares qualification ``code``, achieved long ago, with ``proof``."""
    return qualifications.declare_qualification(
        uow=uow_factory(),
        who=who,
        store=files_store,
        qualification_code=code,
        achieved_on=LONG_AGO,
        **proof,
    )


def _outbox(uow_factory, to: str) -> list[str]:
    with uow_factory() as uow:
        return [m.subject for m in uow.outbox.recent(50, to)]


def _give_installation_qualifications(uow_factory, reg) -> None:
    qualify_ann(uow_factory, reg, ("NVQ3_ELECTROTECHNICAL", "AM2", "BS7671_2018"), LONG_AGO)


def test_apply_submit_and_approve_issues_the_card(mycard, uow_factory, evidence_store):
    ann = mycard.principals["ann"]
    app_id = _apply(uow_factory, ann, "INSTALLATION_ELECTRICIAN")
    view = apps.show_application(uow=uow_factory(), who=ann, application_id=app_id)
    assert view.application.state == "draft" and not view.decision.eligible
    assert any("AM2 assessment" in t for t in view.decision.unmet)
    assert (
        apps.add_application_evidence(
            uow=uow_factory(),
            who=ann,
            store=evidence_store,
            application_id=app_id,
            files=[("am2.pdf", PDF)],
        )
        == 1
    )
    apps.submit_application(uow=uow_factory(), who=ann, application_id=app_id)
    with pytest.raises(Conflict, match="open application"):
        _apply(uow_factory, ann, "INSTALLATION_ELECTRICIAN")

    queue = apps.queue(uow=uow_factory(), who=mycard.principals["ecs_admin"])
    assert [v.application.id for v in queue] == [app_id]
    assert queue[0].evidence[0].filename == "am2.pdf" and queue[0].decision.unmet
    assert apps.queue(uow=uow_factory(), who=mycard.principals["cpcs_admin"]) == []
    with pytest.raises(PermissionDenied, match="decide ECS applications"):
        _decide(uow_factory, mycard.principals["cpcs_admin"], app_id, "approve")
    with pytest.raises(Conflict, match=r"the rules are not met yet: .*AM2"):
        _decide(uow_factory, mycard.principals["ecs_admin"], app_id, "approve")
    with pytest.raises(Conflict, match=r"the rules are not met yet"):  # a blank reason is none
        apps.decide_application(
            uow=uow_factory(),
            who=mycard.principals["ecs_admin"],
            application_id=app_id,
            action="approve",
            override_reason="   ",
        )

    _give_installation_qualifications(uow_factory, mycard)
    done = _decide(uow_factory, mycard.principals["ecs_admin"], app_id, "approve")
    assert done.application.state == "card_issued" and done.card_number
    record = cardholders.cardholder_record(
        uow=uow_factory(), who=ann, cardholder_id=mycard.holders["ann"]
    )
    issued = [c for c in record.cards if c.number == done.card_number]
    assert issued and issued[0].card_type_code == "INSTALLATION_ELECTRICIAN"
    assert issued[0].state == "valid" and issued[0].occupation == "Installation Electrician"
    assert "Your card is ready" in _outbox(uow_factory, "ann@example.test")
    with pytest.raises(IllegalTransition):
        _decide(uow_factory, mycard.principals["ecs_admin"], app_id, "reject", "late")


def test_refer_needs_a_message_and_the_holder_resubmits(mycard, uow_factory):
    ann, admin = mycard.principals["ann"], mycard.principals["ecs_admin"]
    app_id = _apply(uow_factory, ann, "ELECTRICAL_LABOURER")
    with pytest.raises(IllegalTransition):  # a draft is not in the queue yet
        _decide(uow_factory, admin, app_id, "verifying")
    apps.submit_application(uow=uow_factory(), who=ann, application_id=app_id)
    with pytest.raises(InvalidInput, match="say why"):
        _decide(uow_factory, admin, app_id, "refer")
    _decide(uow_factory, admin, app_id, "refer", "Send your HSE test result")
    mine = apps.show_application(uow=uow_factory(), who=ann, application_id=app_id)
    assert mine.application.state == "referred"
    assert mine.application.message == "Send your HSE test result"
    assert "Your application needs more from you" in _outbox(uow_factory, "ann@example.test")
    with pytest.raises(NotFound):
        apps.show_application(
            uow=uow_factory(), who=mycard.principals["bob"], application_id=app_id
        )
    apps.submit_application(uow=uow_factory(), who=ann, application_id=app_id)
    add_hse_pass(uow_factory, mycard.holders["ann"])
    done = _decide(uow_factory, admin, app_id, "approve")
    assert done.application.state == "card_issued"
    # Issue 17 item 4: the card records the HSE pass that qualified its holder.
    with uow_factory() as uow:
        (source,) = uow.card_sources.of_card(done.application.card_id)
    assert source.kind == "assessment" and source.reference.startswith("HSE-ENTRY-")


def test_declared_qualification_is_verified_or_rejected_with_a_reason(
    mycard, uow_factory, evidence_store
):
    ann, admin = mycard.principals["ann"], mycard.principals["ecs_admin"]
    with pytest.raises(InvalidInput, match="certificate number, or upload"):
        _declare(uow_factory, ann, evidence_store, "AM2")
    with pytest.raises(NotFound):
        _declare(uow_factory, ann, evidence_store, "AM9", certificate_number="1")
    am2 = _declare(uow_factory, ann, evidence_store, "am2", files=[("am2.pdf", PDF)])
    nvq = _declare(
        uow_factory, ann, evidence_store, "NVQ3_ELECTROTECHNICAL", certificate_number="C-123"
    )
    pending = qualifications.pending_qualifications(uow=uow_factory(), who=admin)
    assert {p.held.id for p in pending} == {am2, nvq}
    assert [f.filename for p in pending if p.held.id == am2 for f in p.evidence] == ["am2.pdf"]
    assert (
        qualifications.pending_qualifications(
            uow=uow_factory(), who=mycard.principals["cpcs_admin"]
        )
        == []
    )
    with pytest.raises(NotFound):
        qualifications.review_qualification(
            uow=uow_factory(), who=mycard.principals["cpcs_admin"], held_id=am2, verified=True
        )
    with pytest.raises(InvalidInput, match="reason"):
        qualifications.review_qualification(
            uow=uow_factory(), who=admin, held_id=nvq, verified=False
        )
    qualifications.review_qualification(uow=uow_factory(), who=admin, held_id=am2, verified=True)
    qualifications.review_qualification(
        uow=uow_factory(),
        who=mycard.principals["assessor"],
        held_id=nvq,
        verified=False,
        reason="The certificate number is not on the register",
    )
    app_id = _apply(uow_factory, ann, "INSTALLATION_ELECTRICIAN")
    decision = apps.show_application(uow=uow_factory(), who=ann, application_id=app_id).decision
    met = [r.text for r in decision.reasons if r.met]
    assert any("AM2 assessment" in t for t in met)
    assert any("certificate given was rejected" in t for t in decision.unmet)
    assert qualifications.pending_qualifications(uow=uow_factory(), who=admin) == []


def test_pqp_membership_checked_verified_five_years_not_renewable_and_lapse(mycard, uow_factory):
    ann, admin = mycard.principals["ann"], mycard.principals["ecs_admin"]
    with pytest.raises(InvalidInput, match="not a IET membership number"):
        qualifications.declare_membership(
            uow=uow_factory(), who=ann, institute_code="IET", number="12345", grade="Member"
        )
    with pytest.raises(InvalidInput, match="not a professionally qualified grade of ICE"):
        qualifications.declare_membership(
            uow=uow_factory(), who=ann, institute_code="ICE", number="12345678", grade="Student"
        )
    member = qualifications.declare_membership(
        uow=uow_factory(), who=ann, institute_code="iet", number="iet1234567", grade="Member"
    )
    add_hse_pass(uow_factory, mycard.holders["ann"])
    app_id = _apply(uow_factory, ann, "ELECTROTECHNICAL_PQP")
    apps.submit_application(uow=uow_factory(), who=ann, application_id=app_id)
    with pytest.raises(Conflict, match="waiting to be verified"):
        _decide(uow_factory, admin, app_id, "approve")
    qualifications.verify_membership(uow=uow_factory(), who=admin, membership_id=member)
    done = _decide(uow_factory, admin, app_id, "approve")
    record = cardholders.cardholder_record(
        uow=uow_factory(), who=ann, cardholder_id=mycard.holders["ann"]
    )
    pqp = next(c for c in record.cards if c.number == done.card_number)
    assert pqp.card_type_code == "PQP" and (pqp.expires_on - pqp.issued_on).days >= 5 * 365
    with pytest.raises(InvalidInput, match="cannot be renewed: apply again"):
        _apply(uow_factory, ann, "ELECTROTECHNICAL_PQP", done.card_number)
    suspendable = qualifications.lapse_membership(
        uow=uow_factory(), who=admin, membership_id=member, lapsed_on=TODAY
    )
    assert suspendable == [done.card_number]
    # the queue page, after its redirect, reads the same list again (issue 19)
    assert qualifications.suspendable_after_lapse(
        uow=uow_factory(), who=admin, membership_id=member
    ) == [done.card_number]
    with pytest.raises(NotFound):
        qualifications.suspendable_after_lapse(
            uow=uow_factory(), who=mycard.principals["cpcs_admin"], membership_id=member
        )


def test_cpd_audit_sample_is_reproducible_and_reviewed_by_the_schemes_assessors(
    mycard, uow_factory
):
    assert draw_sample(list(range(1, 1001)), 5, 42) == draw_sample(list(range(1000, 0, -1)), 5, 42)
    assert len(draw_sample(list(range(1, 1001)), 5, 42)) == 50
    with pytest.raises(PermissionDenied):
        cpd_audit.sample(
            uow=uow_factory(),
            who=mycard.principals["cpcs_admin"],
            scheme_code="ECS",
            year=TODAY.year,
        )
    result = cpd_audit.sample(
        uow=uow_factory(),
        who=mycard.principals["ecs_admin"],
        scheme_code="ECS",
        year=TODAY.year,
        share_percent=50,
        seed=99,
        public_url="https://cards.example.org/",
    )
    assert result.population == 2 and len(result.cardholder_ids) == 1
    with uow_factory() as uow:  # issue 19: the e-mail names the service's own address
        (told,) = [m for m in uow.outbox.recent(50) if m.kind == "cpd_audit.sampled"]
    assert "https://cards.example.org/my/cpd" in told.body
    assert result.cardholder_ids == draw_sample(
        [mycard.holders["ann"], mycard.holders["bob"]], 50, 99
    )
    with pytest.raises(Conflict, match="already been sampled"):
        cpd_audit.sample(
            uow=uow_factory(),
            who=mycard.principals["ecs_admin"],
            scheme_code="ECS",
            year=TODAY.year,
        )
    cpd_audit.sample(
        uow=uow_factory(),
        who=mycard.principals["cpcs_admin"],
        scheme_code="CPCS",
        year=TODAY.year,
        share_percent=100,
        seed=1,
    )
    cases = cpd_audit.assessor_cases(uow=uow_factory(), who=mycard.principals["assessor"])
    assert [c.scheme_code for c in cases] == ["ECS"]  # never CPCS's sampled holders
    case = cases[0]
    # The assessor sees the sampled ECS holder's CPD, never an unsampled one's, nor CPCS's.
    sampled = case.case.cardholder_id
    unsampled = ({mycard.holders["ann"], mycard.holders["bob"]} - {sampled}).pop()
    assessor = mycard.principals["assessor"]
    assert cpd.cpd_log(uow=uow_factory(), who=assessor, cardholder_id=sampled).entries == []
    for hidden in (unsampled, mycard.holders["cy"]):
        with pytest.raises(NotFound):
            cpd.cpd_log(uow=uow_factory(), who=assessor, cardholder_id=hidden)
    holder_key = "ann" if case.case.cardholder_id == mycard.holders["ann"] else "bob"
    holder = mycard.principals[holder_key]
    with pytest.raises(InvalidInput, match="say what more"):
        cpd_audit.review(
            uow=uow_factory(), who=mycard.principals["assessor"], case_id=case.case.id, accept=False
        )
    cpd_audit.review(
        uow=uow_factory(),
        who=mycard.principals["assessor"],
        case_id=case.case.id,
        accept=False,
        message="Please add the certificate for the March course",
    )
    assert "More is needed for your CPD audit" in _outbox(uow_factory, f"{holder_key}@example.test")
    with pytest.raises(NotFound):
        cpd_audit.answer(
            uow=uow_factory(), who=mycard.principals["hub"], case_id=case.case.id, text="x"
        )
    cpd_audit.answer(
        uow=uow_factory(), who=holder, case_id=case.case.id, text="Added it to the March entry"
    )
    mine = cpd_audit.holder_cases(uow=uow_factory(), who=holder)
    assert mine[0].case.state == "answered" and mine[0].case.answer == "Added it to the March entry"
    cpd_audit.review(
        uow=uow_factory(), who=mycard.principals["assessor"], case_id=case.case.id, accept=True
    )
    assert cpd_audit.holder_cases(uow=uow_factory(), who=holder)[0].case.state == "accepted"


def test_renewal_is_approved_by_renewing_the_card(mycard, uow_factory):
    ann, admin = mycard.principals["ann"], mycard.principals["ecs_admin"]
    old = cards.issue_card(
        uow=uow_factory(),
        who=OPERATOR,
        cardholder_id=mycard.holders["ann"],
        scheme_code="ECS",
        card_type_code="INSTALLATION_ELECTRICIAN",
        issued_on=add_months(TODAY, -34),
    )
    fresh = cards.issue_card(
        uow=uow_factory(),
        who=OPERATOR,
        cardholder_id=mycard.holders["ann"],
        scheme_code="ECS",
        card_type_code="MAINTENANCE_ELECTRICIAN",
    )
    with pytest.raises(InvalidInput, match="can be renewed from"):
        _apply(uow_factory, ann, "MAINTENANCE_ELECTRICIAN", fresh.number)
    with pytest.raises(InvalidInput, match="is not a Maintenance Electrician card"):
        _apply(uow_factory, ann, "MAINTENANCE_ELECTRICIAN", old.number)
    with pytest.raises(NotFound):
        _apply(mycard.uow, mycard.principals["bob"], "INSTALLATION_ELECTRICIAN", old.number)
    app_id = _apply(uow_factory, ann, "INSTALLATION_ELECTRICIAN", old.number)
    apps.submit_application(uow=uow_factory(), who=ann, application_id=app_id)
    _give_installation_qualifications(uow_factory, mycard)
    done = _decide(uow_factory, admin, app_id, "approve")
    assert done.application.kind == "renewal" and done.card_number == old.number
    renewed = cards.show_card(uow=uow_factory(), who=ann, number=old.number)
    today = dt.date.today()  # not TODAY: the suite may have crossed midnight since import
    assert renewed.issued_on == today and renewed.expires_on == add_months(today, 36)


def test_approving_with_rules_unmet_is_an_override_with_its_reason_audited(mycard, uow_factory):
    """Issue 19: an admin may approve against the rules only deliberately, saying why."""
    ann = mycard.principals["ann"]
    app_id = _apply(uow_factory, ann, "INSTALLATION_ELECTRICIAN")
    apps.submit_application(uow=uow_factory(), who=ann, application_id=app_id)
    done = apps.decide_application(
        uow=uow_factory(),
        who=mycard.principals["ecs_admin"],
        application_id=app_id,
        action="approve",
        override_reason="AM2 seen on paper at the office",
    )
    assert done.application.state == "card_issued" and done.card_number
    with uow_factory() as uow:
        events = uow.audit.for_entity("application", str(app_id))
    (event,) = [e for e in events if e.action == "application.approve"]
    assert event.reason == "AM2 seen on paper at the office"
    assert event.detail["override"] is True and any("AM2" in r for r in event.detail["unmet"])
