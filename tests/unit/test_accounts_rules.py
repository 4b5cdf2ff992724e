"""Who may do what: user accounts are well formed, and each role sees exactly its own."""

from __future__ import annotations

import pytest

from skillcard.domain.accounts import (
    SCHEME_SCOPED,
    Principal,
    Role,
    User,
    can_manage_scheme,
    can_view_card,
    can_view_cardholder,
    require,
)
from skillcard.errors import InvalidInput, PermissionDenied

SCHEME, OTHER_SCHEME = 1, 2
HOLDER, OTHER_HOLDER = 10, 11


def a_user(**overrides) -> User:
    values = {
        "email": "ann@example.test",
        "display_name": "Ann",
        "role": Role.HUB_ADMIN,
        "password_hash": "$argon2id$not-a-real-hash",
    }
    values.update(overrides)
    return User(**values)


# --- users ----------------------------------------------------------------------------------


def test_an_email_is_kept_trimmed_and_in_lower_case():
    assert a_user(email="  Ann@Example.TEST ").email == "ann@example.test"


@pytest.mark.parametrize(
    "email", ["", "   ", "not-an-email", "ann.example.test", "a" * 250 + "@x.uk"]
)
def test_a_user_needs_an_email_address(email):
    with pytest.raises(InvalidInput, match="is not an e-mail address"):
        a_user(email=email)


@pytest.mark.parametrize(
    "email", ["ann@", "@example.test", "ann smith@example.test", "ann@example", "ann@@example.test"]
)
def test_a_user_email_is_checked_as_strictly_as_a_cardholders(email):
    # BUG (see report): User only looks for an "@"; Cardholder (people.py) checks the shape.
    with pytest.raises(InvalidInput, match="is not an e-mail address"):
        a_user(email=email)


@pytest.mark.parametrize("role", sorted(SCHEME_SCOPED))
def test_a_scheme_scoped_role_must_belong_to_a_scheme(role):
    with pytest.raises(InvalidInput, match=f"a {role.value} must belong to a scheme"):
        a_user(role=role)
    assert a_user(role=role, scheme_id=SCHEME).scheme_id == SCHEME


def test_the_scheme_scoped_roles_are_scheme_admin_connector_invigilator_and_assessor():
    assert {
        Role.SCHEME_ADMIN,
        Role.SCHEME_CONNECTOR,
        Role.INVIGILATOR,
        Role.ASSESSOR,
    } == SCHEME_SCOPED


def test_a_connector_may_send_its_schemes_cards_and_manage_nothing():
    from skillcard.domain.accounts import Principal, can_manage_scheme, can_send_cards

    connector = Principal("c", Role.SCHEME_CONNECTOR, user_id=1, scheme_id=SCHEME)
    assert can_send_cards(connector, SCHEME) and not can_send_cards(connector, SCHEME + 1)
    assert not can_manage_scheme(connector, SCHEME)
    business = Principal("b", Role.BUSINESS_ADMIN, user_id=2, business_id=1)
    assert not can_send_cards(business, SCHEME)


def test_a_cardholder_account_must_be_linked_to_a_cardholder():
    with pytest.raises(InvalidInput, match="linked to a cardholder record"):
        a_user(role=Role.CARDHOLDER)
    assert a_user(role=Role.CARDHOLDER, cardholder_id=HOLDER).cardholder_id == HOLDER


@pytest.mark.parametrize("role", [Role.HUB_ADMIN, Role.BUSINESS_ADMIN, Role.BUSINESS_CHECKER])
def test_other_roles_need_neither_a_scheme_nor_a_cardholder(role):
    assert a_user(role=role).role == role


def test_a_principal_carries_the_users_role_and_scope():
    user = a_user(role=Role.SCHEME_ADMIN, scheme_id=SCHEME)
    user.id = 3
    who = Principal.of(user)
    assert (who.label, who.role, who.user_id) == ("ann@example.test", Role.SCHEME_ADMIN, 3)
    assert (who.scheme_id, who.cardholder_id) == (SCHEME, None)
    assert not who.is_hub_admin


def test_the_command_line_operator_is_a_hub_admin_audited_as_cli():
    who = Principal.operator()
    assert (who.label, who.role, who.is_hub_admin) == ("cli", Role.HUB_ADMIN, True)


# --- who may see and change what ------------------------------------------------------------

PRINCIPALS = {
    "hub": Principal("hub", Role.HUB_ADMIN),
    "operator": Principal.operator(),
    "scheme_admin": Principal("sa", Role.SCHEME_ADMIN, scheme_id=SCHEME),
    "other_scheme_admin": Principal("osa", Role.SCHEME_ADMIN, scheme_id=OTHER_SCHEME),
    "holder": Principal("h", Role.CARDHOLDER, cardholder_id=HOLDER),
    "other_holder": Principal("oh", Role.CARDHOLDER, cardholder_id=OTHER_HOLDER),
    "business_admin": Principal("ba", Role.BUSINESS_ADMIN, business_id=5),
    "business_checker": Principal("bc", Role.BUSINESS_CHECKER, business_id=5),
    "invigilator": Principal("i", Role.INVIGILATOR, scheme_id=SCHEME),
    "assessor": Principal("a", Role.ASSESSOR, scheme_id=SCHEME),
    "connector": Principal("sc", Role.SCHEME_CONNECTOR, scheme_id=SCHEME),
    # Scope fields alone grant nothing: only the role says what they mean.
    "checker_with_holder_id": Principal(
        "c", Role.BUSINESS_CHECKER, scheme_id=SCHEME, cardholder_id=HOLDER
    ),
    "assessor_with_holder_id": Principal(
        "x", Role.ASSESSOR, scheme_id=SCHEME, cardholder_id=HOLDER
    ),
}

#                          manage    view card   view holder with  view holder with
#                          scheme 1  of holder   a scheme 1 card   no card yet
ACCESS = {
    "hub": (True, True, True, True),
    "operator": (True, True, True, True),
    "scheme_admin": (True, True, True, True),
    "other_scheme_admin": (False, False, False, True),
    "holder": (False, True, True, True),
    "other_holder": (False, False, False, False),
    "business_admin": (False, False, False, False),
    "business_checker": (False, False, False, False),
    "invigilator": (False, False, False, False),
    "assessor": (False, False, False, False),
    "connector": (False, False, False, False),  # sends its scheme's cards, sees nothing
    "checker_with_holder_id": (False, False, False, False),
    "assessor_with_holder_id": (False, False, False, False),
}


def test_the_access_table_covers_every_role():
    assert {p.role for p in PRINCIPALS.values()} == set(Role)
    assert set(ACCESS) == set(PRINCIPALS)


@pytest.mark.parametrize("name", list(ACCESS))
def test_who_may_manage_scheme_1(name):
    assert can_manage_scheme(PRINCIPALS[name], SCHEME) is ACCESS[name][0]


@pytest.mark.parametrize("name", list(ACCESS))
def test_who_may_view_a_scheme_1_card_of_holder_10(name):
    assert can_view_card(PRINCIPALS[name], SCHEME, HOLDER) is ACCESS[name][1]


@pytest.mark.parametrize("name", list(ACCESS))
def test_who_may_view_holder_10_who_has_a_scheme_1_card(name):
    assert can_view_cardholder(PRINCIPALS[name], HOLDER, {SCHEME}) is ACCESS[name][2]


@pytest.mark.parametrize("name", list(ACCESS))
def test_who_may_view_holder_10_who_has_no_card_yet(name):
    # Any scheme admin may, so that they can issue the first card.
    assert can_view_cardholder(PRINCIPALS[name], HOLDER, set()) is ACCESS[name][3]


def test_a_scheme_admin_sees_a_holder_with_a_card_of_theirs_among_others():
    assert can_view_cardholder(PRINCIPALS["other_scheme_admin"], HOLDER, {SCHEME, OTHER_SCHEME})
    assert not can_view_cardholder(PRINCIPALS["other_scheme_admin"], HOLDER, {SCHEME, 3})


def test_a_scheme_admin_manages_only_their_own_scheme():
    admin = PRINCIPALS["scheme_admin"]
    assert can_manage_scheme(admin, SCHEME)
    assert not can_manage_scheme(admin, OTHER_SCHEME)
    assert not can_view_card(admin, OTHER_SCHEME, HOLDER)


def test_a_cardholder_sees_their_own_cards_in_any_scheme_and_no_one_elses():
    holder = PRINCIPALS["holder"]
    assert can_view_card(holder, OTHER_SCHEME, HOLDER)
    assert not can_view_card(holder, SCHEME, OTHER_HOLDER)
    assert not can_view_cardholder(holder, OTHER_HOLDER, set())


def test_require_passes_when_allowed():
    assert require(True, "revoke this card") is None


def test_require_refuses_with_permission_denied():
    with pytest.raises(PermissionDenied) as refused:
        require(False, "revoke this card")
    assert refused.value.message == "you do not have permission to revoke this card"
    assert (refused.value.code, refused.value.http_status) == ("forbidden", 403)


def test_a_schemes_own_system_may_register_the_keys_it_signs_with_for_its_scheme_only():
    from skillcard.domain.signing import can_register_key

    connector = Principal("c", Role.SCHEME_CONNECTOR, user_id=1, scheme_id=SCHEME)
    assert can_register_key(connector, SCHEME)
    assert not can_register_key(connector, SCHEME + 1)
    checker = Principal("k", Role.BUSINESS_CHECKER, user_id=2, business_id=3)
    assert not can_register_key(checker, SCHEME)
