"""The card change feed (issue 17 item 2) on SQLite and PostgreSQL: every change in order,
read by cursor, filtered to what the reader may see, a rolled-back change never published,
expiry announcements once per threshold, and the same entries posted to webhooks."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from skillcard.domain.card_changes import encode_cursor
from skillcard.errors import BadCursor, PermissionDenied
from skillcard.services import jobs
from skillcard.services.business import webhooks, workforce
from skillcard.services.federation import change_feed, expiry_near, scheme_webhooks
from skillcard.services.registry import cards
from tests.factories import OPERATOR, business_budget
from tests.integration.test_business import register
from tests.webhook_receiver import Receiver

BUDGET = business_budget()


def _all(uow_factory, who, *, after=None, scheme=None, limit=None):
    page = change_feed.read_changes(
        uow=uow_factory(), who=who, after=after, scheme=scheme, limit=limit
    )
    return page


def _seen(page):
    return [(c.card_number, c.kind) for c in page.changes]


def test_every_card_change_is_on_the_feed_in_order(registry, uow_factory):
    ann, bob = registry.cards["ann"], registry.cards["bob"]
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=bob, reason="audit")
    cards.reinstate_card(uow=uow_factory(), who=OPERATOR, number=bob)
    replaced = cards.replace_card(uow=uow_factory(), who=OPERATOR, number=ann, reason="lost")
    page = _all(uow_factory, OPERATOR)
    assert _seen(page) == [
        (ann, "issued"),
        (bob, "issued"),
        (registry.cards["cy"], "issued"),
        (bob, "status"),
        (bob, "status"),
        (ann, "status"),
        (replaced.number, "issued"),
    ]
    suspended, reinstated, old = page.changes[3], page.changes[4], page.changes[5]
    assert (suspended.status, suspended.detail) == (
        "suspended",
        {"action": "suspend", "reason": "audit"},
    )
    assert reinstated.status == "active"
    assert (old.status, old.detail["replaced_by"]) == ("replaced", replaced.number)
    assert page.changes[6].detail == {"replaces": ann}
    assert page.changes[0].holder_name == "Ann Núñez-O'Brien"
    assert page.next == page.changes[-1].cursor
    json.dumps([c.as_json() for c in page.changes])  # what the API and webhooks carry


def test_a_reader_resumes_from_its_cursor_and_sees_each_change_once(registry, uow_factory):
    first = _all(uow_factory, OPERATOR, limit=2)
    assert len(first.changes) == 2
    rest = _all(uow_factory, OPERATOR, after=first.next)
    assert [c.card_number for c in rest.changes] == [registry.cards["cy"]]
    nothing = _all(uow_factory, OPERATOR, after=rest.next)
    assert (nothing.changes, nothing.next) == ([], rest.next)  # ask again with the same
    view = cards.show_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["cy"])
    near = dt.datetime.combine(view.expires_on - dt.timedelta(days=30), dt.time(9), dt.UTC)
    cards.renew_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["cy"], now=near)
    later = _all(uow_factory, OPERATOR, after=nothing.next)
    assert _seen(later) == [(registry.cards["cy"], "renewed")]
    assert later.changes[0].expires_on > view.expires_on.isoformat()


@pytest.mark.parametrize("cursor", ["nope", "AAAAAAAAAAAA", encode_cursor(3) + "A", "x" * 60, "=="])
def test_a_cursor_the_feed_never_gave_is_refused(registry, uow_factory, cursor):
    with pytest.raises(BadCursor):
        _all(uow_factory, OPERATOR, after=cursor)


def test_a_scheme_reads_its_own_cards_only(registry, uow_factory):
    ecs = registry.principals["ecs_admin"]
    cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["cy"], reason="x")
    seen = _all(uow_factory, ecs)
    assert {c.scheme for c in seen.changes} == {"ECS"} and len(seen.changes) == 2
    assert _seen(_all(uow_factory, ecs, scheme="ECS")) == _seen(seen)
    with pytest.raises(PermissionDenied):
        _all(uow_factory, ecs, scheme="CPCS")  # refused, never answered empty
    hub_cpcs = _all(uow_factory, OPERATOR, scheme="CPCS")
    assert _seen(hub_cpcs) == [(registry.cards["cy"], "issued"), (registry.cards["cy"], "status")]
    for role in ("ann", "invigilator", "assessor"):
        with pytest.raises(PermissionDenied):
            _all(uow_factory, registry.principals[role])


def test_a_business_reads_the_changes_of_its_workforce_since_it_added_them(registry, uow_factory):
    _, admin = register(uow_factory)
    workforce.add_worker(
        uow=uow_factory(), who=admin, budget=BUDGET, number=registry.cards["cy"], surname="Jones"
    )
    assert _all(uow_factory, admin).changes == []  # issued before it was on the workforce
    for key in ("bob", "cy"):
        cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=registry.cards[key], reason="r")
    seen = _all(uow_factory, admin)
    assert _seen(seen) == [(registry.cards["cy"], "status")]
    assert _all(uow_factory, admin, scheme="ECS").changes == []


def test_a_rolled_back_change_is_never_published(registry, uow_factory):
    start = _all(uow_factory, OPERATOR).next
    now = dt.datetime.now(dt.UTC)
    with uow_factory() as uow:
        card = uow.cards.by_number(uow.schemes.by_code("ECS").id, registry.cards["bob"])
        card.suspend(reason="mistake")
        change_feed.publish_card_changes(uow, [(card.id, "status")], now)
        # no commit: the change and its entry roll back together
    assert _all(uow_factory, OPERATOR, after=start).changes == []
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"], reason="r")
    after = _all(uow_factory, OPERATOR, after=start)
    assert [(c.kind, c.detail["reason"]) for c in after.changes] == [("status", "r")]


def test_expiry_near_is_announced_once_per_threshold_however_often_the_job_runs(
    registry, uow_factory
):
    today = dt.date.today()
    view = cards.show_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["ann"])
    # 60 days before the card's expiry, then 25 days before it
    sixty = dt.datetime.combine(view.expires_on - dt.timedelta(days=60), dt.time(6), dt.UTC)
    twenty_five = sixty + dt.timedelta(days=35)
    assert view.expires_on > today
    start = _all(uow_factory, OPERATOR).next
    assert expiry_near.announce_expiry_near(uow_factory=uow_factory, now=sixty) == 3
    assert expiry_near.announce_expiry_near(uow_factory=uow_factory, now=sixty) == 0
    assert expiry_near.announce_expiry_near(uow_factory=uow_factory, now=twenty_five) == 3
    assert expiry_near.announce_expiry_near(uow_factory=uow_factory, now=twenty_five) == 0
    seen = _all(uow_factory, OPERATOR, after=start).changes
    ann = [c.detail for c in seen if c.card_number == registry.cards["ann"]]
    assert ann == [{"within_days": 90, "days_left": 60}, {"within_days": 30, "days_left": 25}]
    assert {c.kind for c in seen} == {"expiry_near"}


def test_a_new_photo_is_published_for_each_of_the_holders_cards(registry, uow_factory, tmp_path):
    from skillcard.adapters.photos import PhotoStore, drawn_portrait
    from skillcard.services.registry import photos

    start = _all(uow_factory, OPERATOR).next
    store, ann = PhotoStore(tmp_path), registry.holders["ann"]
    for _ in range(2):  # the same photo twice: one change
        photos.set_photo(
            uow=uow_factory(), store=store, who=OPERATOR, cardholder_id=ann,
            data=drawn_portrait("Ann"),
        )  # fmt: skip
    seen = _all(uow_factory, OPERATOR, after=start).changes
    assert [(c.card_number, c.kind, c.detail) for c in seen] == [
        (registry.cards["ann"], "holder", {"changed": ["photo"]})
    ]


# --- webhooks -------------------------------------------------------------------------------


@pytest.fixture
def receiver(tmp_path):
    found = Receiver(tmp_path)
    yield found
    found.close()


def test_a_business_webhook_gets_its_workforce_changes_in_order_with_cursors(
    registry, uow_factory, receiver
):
    _, admin = register(uow_factory)
    secret = webhooks.set_webhook(
        uow=uow_factory(), who=admin, url=receiver.url(), vet=receiver.vetter()
    )
    number = registry.cards["bob"]
    workforce.add_worker(
        uow=uow_factory(), who=admin, budget=BUDGET, number=number, surname="Smith"
    )
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=number, reason="one")
    cards.reinstate_card(uow=uow_factory(), who=OPERATOR, number=number)
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["ann"], reason="x")
    receiver.status = 500  # the first attempt fails: nothing after it overtakes it
    now = dt.datetime.now(dt.UTC)
    run = webhooks.deliver_due(uow_factory, receiver.poster(), now=now)
    assert run.delivered == 0 and len(receiver.received) == 1
    receiver.status = 204
    run = webhooks.deliver_due(uow_factory, receiver.poster(), now=now + dt.timedelta(hours=1))
    assert run.delivered == 2
    bodies = [json.loads(body) for _path, _headers, body in receiver.received[1:]]
    got = [c for body in bodies for c in body["changes"]]
    feed = _all(uow_factory, admin)
    assert [c["cursor"] for c in got] == [c.cursor for c in feed.changes]
    assert [(c["card_number"], c["status"]) for c in got] == [
        (number, "suspended"),
        (number, "active"),
    ]
    assert bodies[-1]["next"] == feed.next and bodies[0]["event"] == "card.changes"
    from skillcard.domain.business import webhook_signature

    _path, headers, body = receiver.received[-1]
    assert headers["X-Skillcard-Signature"] == webhook_signature(secret, body)


def test_a_scheme_webhook_gets_its_own_cards_changes_only(registry, uow_factory, receiver):
    ecs = registry.principals["ecs_admin"]
    with pytest.raises(PermissionDenied):
        scheme_webhooks.set_scheme_webhook(
            uow=uow_factory(), who=ecs, scheme_code="CPCS", url=receiver.url(),
            vet=receiver.vetter(),
        )  # fmt: skip
    scheme_webhooks.set_scheme_webhook(
        uow=uow_factory(), who=ecs, scheme_code="ECS", url=receiver.url(), vet=receiver.vetter()
    )
    for key in ("cy", "bob"):
        cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=registry.cards[key], reason="x")
    run = webhooks.deliver_due(uow_factory, receiver.poster(), now=dt.datetime.now(dt.UTC))
    assert run.delivered == 1
    (body,) = [json.loads(b) for _p, _h, b in receiver.received]
    assert [(c["scheme"], c["card_number"]) for c in body["changes"]] == [
        ("ECS", registry.cards["bob"])
    ]
    status = scheme_webhooks.scheme_webhook_status(uow=uow_factory(), who=ecs, scheme_code="ECS")
    assert (status.url, status.last.state, status.last.event) == (
        receiver.url(),
        "delivered",
        "card.changes",
    )


def _waiting_deliveries(engine) -> list:
    """The delivery jobs waiting on this database's queue (Procrastinate's, or the table)."""
    if engine.dialect.name == "postgresql":
        sql = "SELECT task_name FROM procrastinate_jobs WHERE status = 'todo'"
    else:
        sql = "SELECT name FROM queued_jobs WHERE status = 'todo'"
    with engine.connect() as connection:
        return connection.exec_driver_sql(sql).scalars().all()


def test_a_change_for_a_webhook_queues_one_delivery_job_at_once(
    registry, uow_factory, receiver, engine
):
    ecs = registry.principals["ecs_admin"]
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"], reason="r")
    assert _waiting_deliveries(engine) == []  # no webhook to post to: no job
    scheme_webhooks.set_scheme_webhook(
        uow=uow_factory(), who=ecs, scheme_code="ECS", url=receiver.url(), vet=receiver.vetter()
    )
    with uow_factory() as uow:  # rolled back: no delivery, and no job for it
        card = uow.cards.by_number(uow.schemes.by_code("ECS").id, registry.cards["bob"])
        card.reinstate()
        change_feed.publish_card_changes(uow, [(card.id, "status")], dt.datetime.now(dt.UTC))
    assert _waiting_deliveries(engine) == []
    number = registry.cards["bob"]
    for _ in range(3):  # however many in a row: one job waits, and it posts them all
        cards.reinstate_card(uow=uow_factory(), who=OPERATOR, number=number)
        cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=number, reason="again")
    assert _waiting_deliveries(engine) == [jobs.WEBHOOKS]
    run = webhooks.deliver_due(uow_factory, receiver.poster(), now=dt.datetime.now(dt.UTC))
    assert run.delivered == 6
