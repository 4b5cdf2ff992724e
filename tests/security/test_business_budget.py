"""Issue 14: every door that answers "does this card belong to this surname?" for a business
draws on one budget per business (single and spot checks, offline sync, workforce additions,
bulk rows), a new business has a small one until the hub approves it, and a burst of answers
matching no card is told to the hub admins once. On both databases, and on Redis."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from skillcard.adapters.db.migrate import downgrade, upgrade
from skillcard.adapters.rate_limits import RedisBudgetCounter
from skillcard.config import Settings
from skillcard.errors import InvalidInput, NotFound, PermissionDenied, RateLimited
from skillcard.services.business import bulk_check, business_checks, workforce
from skillcard.services.business.business_budget import Budget, approve_business
from skillcard.web import create_app
from tests.e2e import conftest as e2e
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.factories import OPERATOR, business_budget
from tests.factories import approve_business as approve
from tests.integration.test_business import register

NOW = dt.datetime(2026, 12, 7, 10, 0, 30, tzinfo=dt.UTC)
# The HTTP and command-line fixtures of tests/e2e (no conftest of our own here)
files_dir, tokens, cli, app, client = e2e.files_dir, e2e.tokens, e2e.cli, e2e.app, e2e.client


def _check(uow_factory, who, budget, number, surname, now=NOW, **extra):
    return business_checks.check_for_business(
        uow=uow_factory(), who=who, budget=budget, number=number, surname=surname, now=now, **extra
    )


def _add(uow_factory, who, budget, number, surname, now=NOW):
    return workforce.add_worker(
        uow=uow_factory(), who=who, budget=budget, number=number, surname=surname, now=now
    )


def _sync(uow_factory, who, budget, items, now=NOW):
    return business_checks.sync_offline(
        uow=uow_factory(), who=who, budget=budget, items=items, now=now
    )


def _bulk(uow_factory, who, budget, tmp_path, rows: list[str], now=NOW):
    source = tmp_path / f"in-{uuid.uuid4().hex}.csv"
    source.write_text("number,surname\n" + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return bulk_check.start_bulk(
        uow=uow_factory(), who=who, budget=budget, filename="in.csv", source=source, now=now
    )


def test_every_door_draws_on_the_one_budget_of_its_business(uow_factory, registry, tmp_path):
    business_id, admin = register(uow_factory)
    approve(uow_factory, business_id)
    budget = business_budget(business_checks_per_day=5)
    cards = registry.cards
    _add(uow_factory, admin, budget, cards["ann"], "Nunez-OBrien")  # 1
    with pytest.raises(NotFound):  # a wrong surname is an answer too: 2
        _add(uow_factory, admin, budget, cards["cy"], "Smith")
    offline = business_checks.OfflineItem(cards["bob"], "Smith", NOW - dt.timedelta(hours=1))
    _sync(uow_factory, admin, budget, [offline])  # 3
    _bulk(uow_factory, admin, budget, tmp_path, [f"{cards['bob']},Smith"])  # 4
    _check(uow_factory, admin, budget, cards["bob"], "Smith")  # 5: the last of the day
    doors = {
        "single": lambda: _check(uow_factory, admin, budget, cards["bob"], "Smith"),
        "workforce": lambda: _add(uow_factory, admin, budget, cards["cy"], "Jones"),
        "offline": lambda: _sync(uow_factory, admin, budget, [offline]),
        "bulk": lambda: _bulk(uow_factory, admin, budget, tmp_path, [f"{cards['bob']},Smith"]),
    }
    for door, ask in doors.items():
        with pytest.raises(RateLimited, match="allowance of 5 checks a day"):
            ask()
        assert door
    # Another business has its own budget; tomorrow this one's starts again.
    other_id, other = register(uow_factory, "o@other.test", "OC123456", "Other")
    approve(uow_factory, other_id)
    _check(uow_factory, other, budget, cards["bob"], "Smith")
    _check(uow_factory, admin, budget, cards["bob"], "Smith", now=NOW + dt.timedelta(days=1))


def test_a_new_business_has_a_small_allowance_until_the_hub_approves_it(uow_factory, registry):
    business_id, admin = register(uow_factory)
    budget = business_budget(unapproved_checks_per_day=3)
    number = registry.cards["bob"]
    for _ in range(3):
        _check(uow_factory, admin, budget, number, "Smith")
    with pytest.raises(RateLimited, match="ask the hub to approve your business") as refused:
        _check(uow_factory, admin, budget, number, "Smith")
    assert refused.value.http_status == 429
    with pytest.raises(PermissionDenied):  # a business cannot approve itself
        approve_business(uow=uow_factory(), who=admin, business_id=business_id)
    approve_business(uow=uow_factory(), who=registry.principals["hub"], business_id=business_id)
    assert _check(uow_factory, admin, budget, number, "Smith").view.outcome == "valid"


def test_the_minute_allowance_says_when_to_try_again(uow_factory, registry):
    _, admin = register(uow_factory)
    budget = business_budget(unapproved_checks_per_minute=2)
    number = registry.cards["bob"]
    _check(uow_factory, admin, budget, number, "Smith")
    _check(uow_factory, admin, budget, number, "Smith")
    with pytest.raises(RateLimited, match="a minute: wait a minute") as refused:
        _check(uow_factory, admin, budget, number, "Smith")
    assert refused.value.headers["Retry-After"] == "30"  # NOW is 30 s into its minute
    _check(uow_factory, admin, budget, number, "Smith", now=NOW + dt.timedelta(seconds=30))


def test_a_bulk_file_larger_than_what_is_left_is_refused_up_front(uow_factory, registry, tmp_path):
    business_id, admin = register(uow_factory)
    approve(uow_factory, business_id)
    budget = business_budget(business_checks_per_day=10)
    row = f"{registry.cards['bob']},Smith"
    _check(uow_factory, admin, budget, registry.cards["bob"], "Smith")
    with pytest.raises(RateLimited, match=r"10 checks asked at once.* 9 left"):
        _bulk(uow_factory, admin, budget, tmp_path, [row] * 10)
    assert bulk_check.recent_jobs(uow=uow_factory(), who=admin) == []
    job = _bulk(uow_factory, admin, budget, tmp_path, [row] * 9)  # the refusal took nothing
    assert job.total_rows == 9
    with pytest.raises(RateLimited):
        _check(uow_factory, admin, budget, registry.cards["bob"], "Smith")


def test_a_burst_of_non_matches_reaches_the_hub_admins_once(uow_factory, registry):
    business_id, admin = register(uow_factory)
    budget = business_budget(no_match_burst=3, no_match_burst_minutes=10)
    hub = registry.emails["hub"]
    for guess in ("Jones", "Brown", "Taylor", "Evans", "Wilson"):
        _check(uow_factory, admin, budget, registry.cards["bob"], guess)
    with pytest.raises(NotFound):
        _add(uow_factory, admin, budget, registry.cards["ann"], "Smith")
    with uow_factory() as uow:
        told = [m for m in uow.outbox.recent(50) if m.kind == "business.no_match_burst"]
        events = uow.session.execute(
            sa.text("SELECT count(*) FROM audit_events WHERE action = 'business.no_match_burst'")
        ).scalar_one()
    assert [m.to_address for m in told] == [hub]
    assert "Acme Builders" in told[0].subject and events == 1
    # A new window is a new burst, told again.
    later = NOW + dt.timedelta(minutes=10)
    for guess in ("Jones", "Brown", "Taylor"):
        _check(uow_factory, admin, budget, registry.cards["bob"], guess, now=later)
    with uow_factory() as uow:
        assert sum(m.kind == "business.no_match_burst" for m in uow.outbox.recent(50)) == 2
    assert business_id


def test_the_holder_sees_every_check_that_was_answered(uow_factory, registry):
    _, admin = register(uow_factory)
    budget = business_budget(unapproved_checks_per_day=3)
    number = registry.cards["bob"]
    _add(uow_factory, admin, budget, number, "Smith")
    with pytest.raises(NotFound):
        _add(uow_factory, admin, budget, number, "Jones")  # a guess at his card, seen too
    _check(uow_factory, admin, budget, number, "Smith")
    with pytest.raises(RateLimited):  # refused: not answered, so nothing to see
        _check(uow_factory, admin, budget, number, "Smith")
    with uow_factory() as uow:
        seen = uow.checks.for_cardholder(registry.holders["bob"])
    assert sorted(row.outcome for row in seen) == ["no_match", "valid", "valid"]


def test_the_budget_holds_across_processes_on_redis(uow_factory, registry):
    business_id, admin = register(uow_factory)
    counter = RedisBudgetCounter.from_url(
        "redis://127.0.0.1:6379/0", prefix=f"test:{uuid.uuid4().hex}:"
    )
    rules = Settings(unapproved_checks_per_day=2).budget_rules()
    first, second = Budget(rules, counter), Budget(rules, counter)  # two processes' budgets
    _check(uow_factory, admin, first, registry.cards["bob"], "Smith")
    _check(uow_factory, admin, second, registry.cards["bob"], "Smith")
    with pytest.raises(RateLimited):
        _check(uow_factory, admin, first, registry.cards["bob"], "Smith")
    approve(uow_factory, business_id)
    _check(uow_factory, admin, second, registry.cards["bob"], "Smith")
    counter.close()


def _api_business(client, uow_factory, email="a@acme.test", company="01234567"):
    from tests.e2e.test_business_http import _business

    return _business(client, uow_factory, email, company, "Acme")


def test_the_api_refuses_with_429_and_the_hub_approves(
    engine, database_url, files_dir, uow_factory, registry, tokens
):
    settings = Settings(
        environment="test",
        database_url=database_url,
        files_dir=files_dir,
        unapproved_checks_per_minute=2,
    )
    with TestClient(create_app(settings, engine=engine)) as client:
        token = _api_business(client, uow_factory)
        h = bearer(token)
        wrong = {"number": registry.cards["bob"], "surname": "Jones"}
        for _ in range(2):
            added = client.post("/api/v1/business/workforce", json=wrong, headers=h)
            assert added.status_code == 404
        refused = client.post("/api/v1/business/checks", json=wrong, headers=h)
        assert refused.status_code == 429 and refused.headers["Retry-After"]
        error = refused.json()["error"]
        assert error["code"] == "rate_limited" and "2 checks a minute" in error["message"]
        business_id = client.get("/api/v1/business", headers=h).json()["id"]
        approval = f"/api/v1/business/{business_id}/approve"
        assert client.post(approval, headers=h).status_code == 403
        assert client.post(approval, headers=bearer(tokens["hub"])).status_code == 200
        right = {"number": registry.cards["bob"], "surname": "Smith"}
        assert client.post("/api/v1/business/checks", json=right, headers=h).status_code == 200


def test_existing_businesses_are_approved_by_the_migration(engine):
    downgrade(engine, "0013")
    businesses = sa.table(
        "businesses",
        *(sa.column(c) for c in ("name", "company_number", "address", "created_at", "confirmed")),
    )
    with engine.begin() as connection:
        connection.execute(
            businesses.insert(),
            {"name": "Old", "company_number": "01234567", "address": "Leeds",
             "created_at": NOW, "confirmed": True},
        )  # fmt: skip
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT approved FROM businesses")) in (True, 1)


def test_the_command_line_approves_and_refuses_with_exit_2(cli, uow_factory, registry, tmp_path):
    business_id, _ = register(uow_factory)
    source = tmp_path / "in.csv"
    source.write_text("number,surname\n" + f"{registry.cards['bob']},Smith\n" * 60)
    code, _, err = cli("bulk-check", str(source), "-o", str(tmp_path / "out.csv"),
                       "--business", str(business_id))  # fmt: skip
    assert code == 2 and "60 checks asked at once" in " ".join(err.split())
    code, out, _ = cli("business", "approve", str(business_id))
    assert code == 0 and "approved" in out
    code, _, _ = cli("bulk-check", str(source), "-o", str(tmp_path / "out.csv"),
                     "--business", str(business_id))  # fmt: skip
    assert code == 0
    assert OPERATOR.is_hub_admin


def test_the_hub_admin_approves_on_a_page(client, uow_factory, registry):
    business_id, _ = register(uow_factory)
    assert sign_in(client, registry.emails["biz_admin"]).status_code == 303
    assert client.get("/business/approvals").status_code == 403
    client.cookies.clear()
    sign_in(client, registry.emails["hub"])
    page = client.get("/business/approvals")
    assert page.status_code == 200 and "Approve Acme Builders" in page.text
    approved = client.post(
        f"/business/approvals/{business_id}",
        data={"csrf_token": page_csrf(page.text)},
        follow_redirects=True,
    )
    assert "Approve Acme Builders" not in approved.text and "is approved" in approved.text
    with uow_factory() as uow:
        assert uow.businesses.get(business_id).approved


def _answered(ask, times: int) -> int:
    done = 0
    for _ in range(times):
        try:
            ask()
        except RateLimited:
            continue
        done += 1
    return done


def test_checks_taken_ahead_never_pass_the_limit_across_processes(uow_factory, registry):
    business_id, admin = register(uow_factory)
    approve(uow_factory, business_id)
    rules = Settings(business_checks_per_minute=150, business_checks_per_day=7).budget_rules()
    counter = business_budget().counter
    one, two = Budget(rules, counter), Budget(rules, counter)  # each takes 3 ahead
    asked = 0
    for budget in (one, two, one, two, one, two, one, two, one, two):
        asked += _answered(
            lambda b=budget: _check(uow_factory, admin, b, registry.cards["bob"], "Smith"), 1
        )
    assert asked == 7  # exactly the day's allowance, however the two processes took it


def test_a_check_that_failed_leaves_no_checks_taken_ahead(uow_factory, registry):
    business_id, admin = register(uow_factory)
    approve(uow_factory, business_id)
    budget = business_budget(business_checks_per_minute=100, business_checks_per_day=3)
    with pytest.raises(InvalidInput):  # drew on the budget, then failed: rolled back
        _check(uow_factory, admin, budget, registry.cards["bob"], "   ")
    ask = lambda: _check(uow_factory, admin, budget, registry.cards["bob"], "Smith")  # noqa: E731
    answered = _answered(ask, 5)
    assert answered <= 3
    with uow_factory() as uow:
        assert len(uow.checks.for_cardholder(registry.holders["bob"])) == answered


def test_checks_taken_ahead_and_unused_go_back_to_the_day(uow_factory, registry):
    business_id, admin = register(uow_factory)
    approve(uow_factory, business_id)
    budget = business_budget(business_checks_per_minute=150, business_checks_per_day=7)
    minutes = [NOW + dt.timedelta(minutes=m) for m in range(8)]  # one check a minute
    number = registry.cards["bob"]
    asked = [
        lambda at=at: _check(uow_factory, admin, budget, number, "Smith", now=at) for at in minutes
    ]
    assert [_answered(ask, 1) for ask in asked] == [1] * 7 + [0]  # all seven of the day's
