"""Card provenance and revocation by provenance (issue 17 item 4), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.domain.provenance import Source, numbers_digest
from skillcard.domain.trust import ListedState
from skillcard.errors import InvalidInput, NotFound, PermissionDenied
from skillcard.services.business import workforce
from skillcard.services.registry import cardholders, cards, provenance
from tests.factories import OPERATOR, business_budget
from tests.integration.test_business import register
from tests.integration.test_trust import NOW, stored_state

CENTRE = Source.of("test_centre", "TC-0042", "Northgate Test Centre")
OTHER = Source.of("test_centre", "TC-0043", "Southgate Test Centre")


def _issue(uow_factory, registry, key, scheme, sources, surname=None):
    holder = cardholders.register_cardholder(
        uow=uow_factory(),
        who=OPERATOR,
        given_names=key.title(),
        surname=surname or "Fraud",
        email=f"{key}@example.test",
    )
    view = cards.issue_card(
        uow=uow_factory(),
        who=OPERATOR,
        cardholder_id=holder,
        scheme_code=scheme,
        card_type_code="GOLD",
        issued_on=dt.date.today() - dt.timedelta(days=1),
        sources=sources,
    )
    registry.cards[key] = view.number
    return view.number


@pytest.fixture
def sourced(registry, uow_factory):
    """ECS: dee, eve and fay through TC-0042 (fay already revoked), gus through TC-0043;
    CPCS: hal through TC-0042 (another scheme's card)."""
    stored_state(uow_factory, registry, "ann")  # both lists exist before anything changes
    stored_state(uow_factory, registry, "cy")
    for key, scheme, sources in (
        ("dee", "ECS", [CENTRE, Source.of("training_provider", "TP-7", "Sparks Academy")]),
        ("eve", "ECS", [CENTRE]),
        ("fay", "ECS", [CENTRE]),
        ("gus", "ECS", [OTHER]),
        ("hal", "CPCS", [CENTRE]),
    ):
        _issue(uow_factory, registry, key, scheme, sources)
    cards.revoke_card(
        uow=uow_factory(), who=OPERATOR, number=registry.cards["fay"], reason="earlier"
    )
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["eve"], reason="x")
    return registry


def test_a_card_shows_where_it_came_from(sourced, uow_factory):
    found = provenance.card_sources(
        uow=uow_factory(), who=sourced.principals["ecs_admin"], number=sourced.cards["dee"]
    )
    assert [(s.kind.value, s.reference, s.name) for s in found] == [
        ("test_centre", "TC-0042", "Northgate Test Centre"),
        ("training_provider", "TP-7", "Sparks Academy"),
    ]
    with pytest.raises(NotFound):
        provenance.card_sources(
            uow=uow_factory(), who=sourced.principals["cpcs_admin"], number=sourced.cards["dee"]
        )


def test_the_preview_counts_only_the_admins_own_revocable_cards(sourced, uow_factory):
    seen = provenance.preview(
        uow=uow_factory(),
        who=sourced.principals["ecs_admin"],
        scheme_code="ECS",
        kind="test_centre",
        reference=" tc-0042 ",  # one spelling of a source
    )
    assert seen.count == 2  # dee and eve (suspended); not fay (revoked), gus, nor CPCS's hal
    assert sorted(c.number for c in seen.sample) == sorted(
        [sourced.cards["dee"], sourced.cards["eve"]]
    )
    assert {c.holder_name for c in seen.sample} == {"Dee Fraud", "Eve Fraud"}
    with pytest.raises(PermissionDenied):
        provenance.preview(
            uow=uow_factory(),
            who=sourced.principals["cpcs_admin"],
            scheme_code="ECS",
            kind="test_centre",
            reference="TC-0042",
        )


def test_revoking_by_source_revokes_only_its_cards_in_one_audited_step(sourced, uow_factory):
    business_id, boss = register(uow_factory)
    for key in ("dee", "eve", "ann"):
        workforce.add_worker(
            budget=business_budget(),
            uow=uow_factory(),
            who=boss,
            number=sourced.cards[key],
            surname="Fraud" if key != "ann" else "NUNEZ OBRIEN",
        )
    done = provenance.revoke_by_provenance(
        uow=uow_factory(),
        who=sourced.principals["ecs_admin"],
        scheme_code="ECS",
        kind="test_centre",
        reference="TC-0042",
        reason="Test centre TC-0042 found to be fraudulent",
        now=NOW,
    )
    assert done.count == 2 and done.holders_told == 2 and done.businesses_told == 1
    assert done.digest == numbers_digest([sourced.cards["dee"], sourced.cards["eve"]])

    def state(key):
        return cards.show_card(uow=uow_factory(), who=OPERATOR, number=sourced.cards[key])

    assert state("dee").state == "revoked" and state("eve").state == "revoked"
    assert state("dee").status_reason == "Test centre TC-0042 found to be fraudulent"
    assert state("fay").status_reason == "earlier"  # already revoked: untouched
    assert state("gus").state == "valid" and state("hal").state == "valid"
    assert state("ann").state == "valid"
    ids = {state("dee").id, state("eve").id}
    with uow_factory() as uow:
        assert sorted(done.changes) == sorted((i, "status") for i in ids)
        events = [e for e in uow.audit.in_order() if e.action == "card.revoke_by_provenance"]
        assert len(events) == 1
        assert events[0].detail["count"] == 2
        assert events[0].detail["source"] == {"kind": "test_centre", "reference": "TC-0042"}
        assert events[0].detail["card_numbers_sha256"] == done.digest
        assert events[0].reason == "Test centre TC-0042 found to be fraudulent"
        mails = uow.outbox.recent(50)
    for key in ("dee", "eve", "gus", "hal", "ann", "cy"):
        expected = ListedState.REVOKED if key in ("dee", "eve") else ListedState.ACTIVE
        assert stored_state(uow_factory, sourced, key) is expected, key
    to_holders = {m.to_address for m in mails if m.kind == "card.revoked"}
    assert to_holders == {"dee@example.test", "eve@example.test"}
    to_business = [m for m in mails if m.kind == "card.revoked.business"]
    assert [m.to_address for m in to_business] == ["boss@acme.test"]  # one mail, two cards
    assert sourced.cards["dee"] in to_business[0].body
    assert sourced.cards["eve"] in to_business[0].body
    assert sourced.cards["ann"] not in to_business[0].body
    assert business_id


def test_a_second_revocation_of_the_same_source_finds_nothing(sourced, uow_factory):
    call = dict(who=OPERATOR, scheme_code="ECS", kind="test_centre", reference="TC-0042")
    first = provenance.revoke_by_provenance(uow=uow_factory(), reason="fraud", **call)
    again = provenance.revoke_by_provenance(uow=uow_factory(), reason="fraud", **call)
    assert (first.count, again.count, again.changes) == (2, 0, [])


@pytest.mark.parametrize(
    ("kind", "reference", "reason", "field"),
    [
        ("exam_hall", "TC-0042", "fraud", "kind"),
        ("test_centre", "  ", "fraud", "ref"),
        ("test_centre", "TC<script>", "fraud", "ref"),
        ("test_centre", "TC-0042", "   ", None),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    sourced, uow_factory, kind, reference, reason, field
):
    with pytest.raises(InvalidInput) as refused:
        provenance.revoke_by_provenance(
            uow=uow_factory(),
            who=OPERATOR,
            scheme_code="ECS",
            kind=kind,
            reference=reference,
            reason=reason,
        )
    assert refused.value.field == field
    assert cards.show_card(uow=uow_factory(), who=OPERATOR, number=sourced.cards["dee"]).state == (
        "valid"
    )


def test_an_import_records_many_cards_sources_in_one_call(sourced, uow_factory):
    batch = Source.of("import", "ECS-IMPORT-2026-12-06", "ECS nightly import")
    with uow_factory() as uow:
        scheme = uow.schemes.by_code("ECS")
        ids = [uow.cards.by_number(scheme.id, sourced.cards[k]).id for k in ("ann", "bob")]
        assert uow.card_sources.add_many([(i, batch) for i in ids + ids], NOW) == 2
        uow.commit()
    seen = provenance.preview(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", kind="import", reference=batch.reference
    )
    assert seen.count == 2
