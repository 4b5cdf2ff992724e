"""Role boundaries, enforced in the services whatever calls them (issue 2: accounts and access)."""

from __future__ import annotations

import pytest

from skillcard.errors import NotFound, PermissionDenied
from skillcard.services.accounts import accounts
from skillcard.services.audit import audit
from skillcard.services.registry import cardholders, cards


def test_scheme_admin_cannot_see_or_change_another_schemes_cards(registry, uow_factory):
    ecs_admin, cpcs_card = registry.principals["ecs_admin"], registry.cards["cy"]
    with pytest.raises(NotFound):
        cards.show_card(uow=uow_factory(), who=ecs_admin, number=cpcs_card)
    for change in (cards.suspend_card, cards.revoke_card):
        with pytest.raises(NotFound):
            change(uow=uow_factory(), who=ecs_admin, number=cpcs_card, reason="not mine")
    with pytest.raises(PermissionDenied):
        cards.issue_card(
            uow=uow_factory(),
            who=ecs_admin,
            cardholder_id=registry.holders["cy"],
            scheme_code="CPCS",
            card_type_code="GOLD",
        )
    state = cards.show_card(uow=uow_factory(), who=registry.principals["hub"], number=cpcs_card)
    assert state.state == "valid"


def test_scheme_admin_search_is_limited_to_their_scheme(registry, uow_factory):
    found = cards.search_cards(
        uow=uow_factory(), who=registry.principals["ecs_admin"], query="jones"
    )
    assert found == []
    found = cards.search_cards(
        uow=uow_factory(), who=registry.principals["cpcs_admin"], query="JONES"
    )
    assert [c.number for c in found] == [registry.cards["cy"]]
    with pytest.raises(NotFound):
        cards.search_cards(
            uow=uow_factory(),
            who=registry.principals["ecs_admin"],
            query="jones",
            scheme_code="CPCS",
        )


def test_scheme_admin_sees_only_their_schemes_cards_in_a_holders_record(registry, uow_factory):
    cards.issue_card(
        uow=uow_factory(),
        who=registry.principals["hub"],
        cardholder_id=registry.holders["ann"],
        scheme_code="CPCS",
        card_type_code="GOLD",
    )
    ecs_view = cardholders.cardholder_record(
        uow=uow_factory(),
        who=registry.principals["ecs_admin"],
        cardholder_id=registry.holders["ann"],
    )
    assert {c.scheme_code for c in ecs_view.cards} == {"ECS"}
    with pytest.raises(NotFound):
        cardholders.cardholder_record(
            uow=uow_factory(),
            who=registry.principals["ecs_admin"],
            cardholder_id=registry.holders["cy"],
        )


def test_cardholder_sees_their_own_record_and_cards_only(registry, uow_factory):
    ann = registry.principals["ann"]
    record = cardholders.cardholder_record(
        uow=uow_factory(), who=ann, cardholder_id=registry.holders["ann"]
    )
    assert [c.number for c in record.cards] == [registry.cards["ann"]]
    assert cards.show_card(uow=uow_factory(), who=ann, number=registry.cards["ann"]).number
    with pytest.raises(NotFound):
        cardholders.cardholder_record(
            uow=uow_factory(), who=ann, cardholder_id=registry.holders["bob"]
        )
    with pytest.raises(NotFound):
        cards.show_card(uow=uow_factory(), who=ann, number=registry.cards["bob"])


def test_cardholder_cannot_change_even_their_own_card(registry, uow_factory):
    with pytest.raises(PermissionDenied):
        cards.reinstate_card(
            uow=uow_factory(), who=registry.principals["ann"], number=registry.cards["ann"]
        )
    with pytest.raises(PermissionDenied):
        cards.suspend_card(
            uow=uow_factory(),
            who=registry.principals["ann"],
            number=registry.cards["ann"],
            reason="self",
        )


def test_cardholder_declares_own_qualification_unverified_but_not_anothers(registry, uow_factory):
    import datetime as dt

    with uow_factory() as uow:
        from skillcard.domain.schemes import Qualification

        uow.reference.add_qualification(Qualification(code="AM2", title="AM2 assessment"))
        uow.commit()
    ann = registry.principals["ann"]
    cardholders.add_qualification(
        uow=uow_factory(),
        who=ann,
        cardholder_id=registry.holders["ann"],
        qualification_code="AM2",
        achieved_on=dt.date(2020, 1, 1),
    )
    record = cardholders.cardholder_record(
        uow=uow_factory(), who=ann, cardholder_id=registry.holders["ann"]
    )
    assert [(q.code, q.verified) for q in record.qualifications] == [("AM2", False)]
    with pytest.raises(NotFound):
        cardholders.add_qualification(
            uow=uow_factory(),
            who=ann,
            cardholder_id=registry.holders["bob"],
            qualification_code="AM2",
            achieved_on=dt.date(2020, 1, 1),
        )


@pytest.mark.parametrize("role", ["biz_admin", "biz_checker", "invigilator", "assessor"])
def test_other_roles_cannot_read_or_change_the_registry(registry, uow_factory, role):
    who = registry.principals[role]
    with pytest.raises((NotFound, PermissionDenied)):
        cards.show_card(uow=uow_factory(), who=who, number=registry.cards["ann"])
    with pytest.raises((NotFound, PermissionDenied)):
        cards.revoke_card(uow=uow_factory(), who=who, number=registry.cards["ann"], reason="x")
    with pytest.raises(PermissionDenied):
        cards.search_cards(uow=uow_factory(), who=who, query="smith")
    with pytest.raises(NotFound):
        cardholders.cardholder_record(
            uow=uow_factory(), who=who, cardholder_id=registry.holders["ann"]
        )
    with pytest.raises(PermissionDenied):
        cardholders.register_cardholder(uow=uow_factory(), who=who, given_names="X", surname="Y")


@pytest.mark.parametrize("role", ["ecs_admin", "ann", "biz_admin", "invigilator"])
def test_only_hub_admins_add_users_and_verify_the_audit_log(registry, uow_factory, role):
    who = registry.principals[role]
    with pytest.raises(PermissionDenied):
        accounts.add_user(
            uow=uow_factory(),
            who=who,
            email="new@example.test",
            display_name="New",
            role="hub_admin",
            password="long enough pw",
        )
    with pytest.raises(PermissionDenied):
        audit.verify_audit_chain(uow=uow_factory(), who=who)
    with pytest.raises(PermissionDenied):
        accounts.create_api_token(
            uow=uow_factory(), who=who, email=registry.emails["hub"], name="steal", days=1
        )
