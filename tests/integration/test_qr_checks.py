"""QR checks in the check log (issue 3, item 7): online QR checks logged as ``qr_online``,
checks made offline synced later as ``qr_offline`` with the server's outcome at the time they
were made; and the short-lived photo links of a check's answer (item 5). On SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.adapters.photos import PhotoStore
from skillcard.domain.checks import CheckMethod, client_key
from skillcard.errors import InvalidInput, NotFound, PermissionDenied
from skillcard.services.audit.audit import utcnow
from skillcard.services.checks import checks
from skillcard.services.credentials import credentials
from skillcard.services.registry import cards, photos

CLIENT = client_key("203.0.113.9", "test secret")


def all_checks(uow_factory):
    with uow_factory() as uow:
        k = tables.checks.c
        return list(uow.session.execute(sa.select(tables.checks).order_by(k.id)))


def card_id(uow_factory, number: str) -> int:
    with uow_factory() as uow:
        return uow.cards.by_number(uow.schemes.by_code(number[:3]).id, number).id


def aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def test_an_online_qr_check_is_logged_with_its_card_and_outcome(registry, uow_factory):
    number = registry.cards["ann"]
    text = credentials.printed_credential(uow=uow_factory(), number=number)
    checker = registry.principals["biz_checker"]
    done = checks.check_qr(uow=uow_factory(), text=text, who=checker, site=" Canary  Wharf ")
    assert done.view.outcome == "valid" and done.result.valid
    assert done.view.card_number == number and done.view.holder_name
    anonymous = checks.check_qr(uow=uow_factory(), text=text, client=CLIENT, site="ignored")
    assert anonymous.view.outcome == "valid"
    rows = all_checks(uow_factory)
    assert [(r.method, r.outcome, r.card_id) for r in rows] == [
        ("qr_online", "valid", card_id(uow_factory, number))
    ] * 2
    assert (rows[0].checker_user_id, rows[0].client_key, rows[0].site) == (
        checker.user_id,
        None,
        "Canary Wharf",
    )
    assert (rows[1].checker_user_id, rows[1].client_key, rows[1].site) == (None, CLIENT, None)
    assert rows[0].scheme_id is not None and rows[0].synced_at is None


@pytest.mark.parametrize(
    ("mangle", "outcomes"),
    [
        (lambda t: t[:-6] + "AAAAAA", {"bad_signature", "malformed"}),
        (lambda t: "SC1:" + "%%%", {"malformed"}),
        (lambda t: "", {"malformed"}),
        (lambda t: "x" * 10_000, {"malformed"}),
    ],
)
def test_a_tampered_or_unreadable_qr_is_logged_against_no_card(
    registry, uow_factory, mangle, outcomes
):
    text = credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    done = checks.check_qr(uow=uow_factory(), text=mangle(text), client=CLIENT)
    assert done.view.outcome in outcomes and not done.view.holder_name
    [row] = all_checks(uow_factory)
    assert (row.method, row.card_id, row.outcome) == ("qr_online", None, done.view.outcome)


def test_a_qr_check_shows_in_the_holders_log(registry, uow_factory):
    ann, number = registry.principals["ann"], registry.cards["ann"]
    text = credentials.printed_credential(uow=uow_factory(), number=number)
    checks.check_qr(uow=uow_factory(), text=text, who=registry.principals["biz_checker"])
    [entry] = checks.cardholder_checks(uow=uow_factory(), who=ann, cardholder_id=ann.cardholder_id)
    assert (entry.method, entry.outcome, entry.card_number, entry.checker) == (
        "qr_online",
        "valid",
        number,
        "biz_checker",
    )


def test_offline_checks_are_verified_again_at_the_time_they_were_made(
    registry, uow_factory, tmp_path
):
    ann, number = registry.principals["ann"], registry.cards["ann"]
    now = utcnow().replace(microsecond=0)
    signed = now - dt.timedelta(minutes=20)
    printed = credentials.printed_credential(uow=uow_factory(), number=number, now=signed)
    # a phone code lives 5 minutes: good when the device checked it, expired now
    phone = photos.phone_credential(
        uow=uow_factory(), store=PhotoStore(tmp_path), who=ann, number=number, now=signed
    )
    assert checks.check_qr(uow=uow_factory(), text=phone).view.outcome == "expired"
    at = signed + dt.timedelta(minutes=2)
    checker = registry.principals["biz_checker"]
    items = [
        checks.OfflineCheck(qr=phone, checked_at=at, outcome="expired", site="Site A"),
        checks.OfflineCheck(qr=printed, checked_at=at, outcome="valid"),
        checks.OfflineCheck(qr=printed[:-6] + "AAAAAA", checked_at=at, outcome="valid"),
        checks.OfflineCheck(qr=printed, checked_at=now + dt.timedelta(minutes=10)),
        checks.OfflineCheck(qr=printed, checked_at=now - dt.timedelta(days=31)),
        checks.OfflineCheck(qr=printed, checked_at=now + dt.timedelta(minutes=4)),
    ]
    answers = checks.sync_offline_checks(uow=uow_factory(), who=checker, items=items, now=now)
    assert [(a.index, a.stored, a.outcome, a.agrees) for a in answers[:3]] == [
        (0, True, "valid", False),
        (1, True, "valid", True),
        (2, True, answers[2].outcome, False),
    ]
    assert answers[2].outcome in {"bad_signature", "malformed"}
    assert not answers[3].stored and "future" in answers[3].error
    assert not answers[4].stored and "30 days" in answers[4].error
    assert answers[5].stored  # within the five minutes of clock skew
    rows = [r for r in all_checks(uow_factory) if r.method == CheckMethod.QR_OFFLINE]
    assert len(rows) == 4
    first = rows[0]
    assert (first.card_id, first.outcome, first.site) == (
        card_id(uow_factory, number),
        "valid",
        "Site A",
    )
    assert aware(first.checked_at) == at and aware(first.synced_at) == now
    assert first.checker_user_id == checker.user_id and first.client_key is None
    assert rows[2].card_id is None
    log = checks.cardholder_checks(uow=uow_factory(), who=ann, cardholder_id=ann.cardholder_id)
    offline = [e for e in log if e.method == "qr_offline"]
    assert len(offline) == 3 and all(e.synced_at == now for e in offline)


def test_an_offline_check_is_judged_by_the_cards_status_when_it_was_made(registry, uow_factory):
    number, admin = registry.cards["ann"], registry.principals["ecs_admin"]
    now = utcnow().replace(microsecond=0)
    ago = lambda minutes: now - dt.timedelta(minutes=minutes)  # noqa: E731
    printed = credentials.printed_credential(uow=uow_factory(), number=number, now=ago(180))
    change = dict(number=number, reason="a scheme's decision")
    cards.suspend_card(uow=uow_factory(), who=admin, now=ago(120), **change)
    cards.reinstate_card(uow=uow_factory(), who=admin, now=ago(60), **change)
    cards.revoke_card(uow=uow_factory(), who=admin, now=ago(30), **change)
    assert checks.check_qr(uow=uow_factory(), text=printed).view.outcome == "revoked"
    made = [150, 90, 45, 10]  # before the suspension, in it, reinstated, revoked
    items = [checks.OfflineCheck(qr=printed, checked_at=ago(m), outcome="valid") for m in made]
    checker = registry.principals["biz_checker"]
    answers = checks.sync_offline_checks(uow=uow_factory(), who=checker, items=items, now=now)
    assert [(a.outcome, a.agrees) for a in answers] == [
        ("valid", True), ("suspended", False), ("valid", True), ("revoked", False),
    ]  # fmt: skip
    rows = [r for r in all_checks(uow_factory) if r.method == CheckMethod.QR_OFFLINE]
    assert [(aware(r.checked_at), r.outcome) for r in rows] == [
        (ago(m), a.outcome) for m, a in zip(made, answers, strict=True)
    ]
    assert {r.card_id for r in rows} == {card_id(uow_factory, number)}


def test_offline_sync_is_for_checkers_and_admins_and_capped(registry, uow_factory):
    item = checks.OfflineCheck(qr="SC1:x", checked_at=utcnow())
    for user in ("ann", "bob"):
        with pytest.raises(PermissionDenied):
            checks.sync_offline_checks(
                uow=uow_factory(), who=registry.principals[user], items=[item]
            )
    for user in ("biz_admin", "biz_checker", "ecs_admin", "hub"):
        [answer] = checks.sync_offline_checks(
            uow=uow_factory(), who=registry.principals[user], items=[item]
        )
        assert answer.stored and answer.outcome == "malformed"
    with pytest.raises(InvalidInput):
        checks.sync_offline_checks(
            uow=uow_factory(), who=registry.principals["hub"], items=[item] * 501
        )


def test_photo_links_open_one_photo_for_ten_minutes(tmp_path):
    from skillcard.adapters.photos import drawn_portrait

    store = PhotoStore(tmp_path)
    digest = store.put(drawn_portrait("Ann"))
    other = store.put(drawn_portrait("Bob"))
    now = utcnow()
    token = photos.photo_token(secret="s1", sha256=digest, now=now)
    fetch = dict(store=store, secret="s1", sha256=digest)
    assert photos.photo_by_token(**fetch, token=token, now=now).startswith(b"\xff\xd8")
    assert photos.photo_by_token(**fetch, token=token, now=now + dt.timedelta(minutes=9))
    refused = [
        dict(fetch, token=token, now=now + dt.timedelta(minutes=11)),  # expired
        dict(fetch, token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), now=now),
        dict(fetch, sha256=other, token=token, now=now),  # another photo
        dict(fetch, secret="s2", token=token, now=now),  # another server's secret
        dict(fetch, token="", now=now),
        dict(fetch, token="!!!", now=now),
        dict(fetch, token="A" * 5000, now=now),
        dict(fetch, sha256="../../etc/passwd", token=token, now=now),
    ]
    for kwargs in refused:
        with pytest.raises(NotFound):
            photos.photo_by_token(**kwargs)


def test_an_online_qr_answer_reads_qualification_titles_not_codes(registry, uow_factory):
    """Issue 19: the card carries codes; a person reads the titles, as in a number check."""
    from skillcard.domain.people import HeldQualification
    from skillcard.domain.schemes import Qualification

    with uow_factory() as uow:
        uow.reference.add_qualification(Qualification(code="EV_CHARGE_POINT", title="EV charging"))
        uow.cardholders.add(
            HeldQualification(
                registry.holders["ann"], "EV_CHARGE_POINT", dt.date(2020, 1, 1), "", True
            )
        )
        uow.commit()
    text = credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    done = checks.check_qr(uow=uow_factory(), text=text, client=CLIENT)
    assert done.result.claims.qualifications == ("EV_CHARGE_POINT",)
    assert done.view.qualifications == ("EV charging",)
