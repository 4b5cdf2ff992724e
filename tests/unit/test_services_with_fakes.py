"""Two services' rules shown on an in-memory unit of work (tests/fake_uow.py): what they read
and decide, with no database between the test and the rule."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

import pytest

from skillcard.domain.accounts import Principal, Role, User
from skillcard.domain.eligibility import CpdHours, HasQualification, HeldFact, HolderFacts, Rule
from skillcard.domain.eligibility_rules import RuleBook
from skillcard.domain.schemes import Scheme
from skillcard.errors import NotAuthenticated, PermissionDenied, SessionExpired
from skillcard.services.accounts.accounts import session_principal
from skillcard.services.registry.eligibility_bulk import reevaluate_scheme
from tests.fake_uow import FakeUnitOfWork

TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)

# --- re-evaluating a scheme: counts from the facts the scheme_facts port gives ---------------

ECS = Scheme(code="ECS", name="Electrotechnical", operator="JIB", number_prefix="ECS", id=1)
RULE = Rule(
    name="ELECTRICIAN",
    title="Electrician",
    scheme="ECS",
    card_type="GOLD",
    requirement=HasQualification("AM2"),
)
BOOK = RuleBook([RULE, Rule("MANAGER", "Manager", "ECS", "BLACK", CpdHours(30))])


class _Schemes:
    def by_code(self, code: str) -> Scheme | None:
        return ECS if code.upper() == "ECS" else None


class _Reference:
    def qualifications(self) -> list[SimpleNamespace]:
        return [SimpleNamespace(code="AM2", title="AM2 assessment")]

    def institutes(self) -> list[SimpleNamespace]:
        return []


class _Facts:
    def __init__(self, facts: dict[int, HolderFacts]) -> None:
        self.facts, self.asked = facts, []

    def of_scheme(self, scheme_id: int, today: dt.date) -> dict[int, HolderFacts]:
        self.asked.append((scheme_id, today))
        return self.facts


def _facts(*states: str) -> HolderFacts:
    return HolderFacts(qualifications=tuple(HeldFact("AM2", s) for s in states))


def test_a_scheme_is_reevaluated_from_its_holders_facts_and_says_what_the_others_lack():
    facts = _Facts({1: _facts("verified"), 2: _facts("declared"), 3: _facts(), 4: _facts()})
    uow = FakeUnitOfWork(schemes=_Schemes(), reference=_Reference(), scheme_facts=facts)
    admin = Principal("ecs-admin", Role.SCHEME_ADMIN, scheme_id=ECS.id)

    found = reevaluate_scheme(
        uow=uow, who=admin, scheme_code="ecs", code="electrician", today=TODAY, book=BOOK
    )

    assert (found.rule, found.holders, found.eligible) == ("ELECTRICIAN", 4, 1)
    assert found.unmet == {
        "needs AM2 assessment": 2,
        "AM2 assessment: declared, waiting to be verified": 1,
    }
    assert facts.asked == [(ECS.id, TODAY)]
    assert uow.commits == 0  # a question, not a change


def test_another_schemes_admin_is_refused_before_any_holder_is_read():
    facts = _Facts({1: _facts("verified")})
    uow = FakeUnitOfWork(schemes=_Schemes(), reference=_Reference(), scheme_facts=facts)
    other = Principal("cscs-admin", Role.SCHEME_ADMIN, scheme_id=ECS.id + 1)

    with pytest.raises(PermissionDenied):
        reevaluate_scheme(uow=uow, who=other, scheme_code="ECS", code="ELECTRICIAN", book=BOOK)
    assert facts.asked == []


# --- a session cookie: the stored session's dates and its user's standing decide ------------


class _Credentials:
    def __init__(self, token: str, expires_at: dt.datetime, user_id: int = 7) -> None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        self.sessions = {
            digest: SimpleNamespace(user_id=user_id, csrf_token="csrf-1", expires_at=expires_at)
        }

    def find_session(self, token_hash: str) -> SimpleNamespace | None:
        return self.sessions.get(token_hash)


class _Users:
    def __init__(self, *users: User) -> None:
        self.users = {u.id: u for u in users}

    def get(self, user_id: int) -> User | None:
        return self.users.get(user_id)


def _ann(active: bool = True) -> User:
    return User("ann@example.test", "Ann", Role.HUB_ADMIN, "x", active=active, id=7)


def test_a_live_session_gives_its_user_and_csrf_token():
    uow = FakeUnitOfWork(
        credentials=_Credentials("t0k", NOW + dt.timedelta(hours=1)), users=_Users(_ann())
    )
    who, csrf = session_principal(uow=uow, token="t0k", now=NOW)
    assert (who.label, who.role, who.user_id, csrf) == (
        "ann@example.test",
        Role.HUB_ADMIN,
        7,
        "csrf-1",
    )


@pytest.mark.parametrize(
    ("token", "expires_at", "user", "refusal"),
    [
        ("t0k", NOW, _ann(), SessionExpired),  # expiry is exclusive: at the moment, it is over
        ("t0k", NOW - dt.timedelta(days=1), _ann(), SessionExpired),
        ("t0k", NOW + dt.timedelta(hours=1), _ann(active=False), NotAuthenticated),
        ("other", NOW + dt.timedelta(hours=1), _ann(), NotAuthenticated),
        ("", NOW + dt.timedelta(hours=1), _ann(), NotAuthenticated),
    ],
)
def test_a_session_is_refused_when_expired_unknown_or_its_user_is_inactive(
    token, expires_at, user, refusal
):
    uow = FakeUnitOfWork(credentials=_Credentials("t0k", expires_at), users=_Users(user))
    with pytest.raises(refusal):
        session_principal(uow=uow, token=token, now=NOW)
    assert uow.commits == 0
