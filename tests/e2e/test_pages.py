"""Pages over HTTP: sign-in, CSRF, sessions, and the admin and cardholder pages."""

from __future__ import annotations

import datetime as dt

from skillcard.services.registry import cards
from tests.e2e.conftest import page_csrf, sign_in
from tests.factories import OPERATOR


def test_sign_in_with_a_wrong_password_says_so_and_keeps_the_email(client, registry):
    answer = sign_in(client, registry.emails["ecs_admin"], password="not it")
    assert answer.status_code == 401
    assert "do not match an account" in answer.text
    assert registry.emails["ecs_admin"] in answer.text
    assert "skillcard_session" not in answer.cookies


def test_login_form_without_its_csrf_cookie_is_refused(client, registry):
    answer = client.post(
        "/login", data={"email": registry.emails["hub"], "password": "x", "csrf_token": "made-up"}
    )
    assert answer.status_code == 403
    assert "did not come from skillcard" in answer.text


def test_scheme_admin_finds_a_card_and_suspends_it(client, registry, uow_factory):
    assert sign_in(client, registry.emails["ecs_admin"], next_url="/admin/cards").status_code == 303
    results = client.get("/admin/cards", params={"q": "NUNEZ obrien"})
    assert registry.cards["ann"] in results.text
    partial = client.get("/admin/cards", params={"q": "smith"}, headers={"HX-Request": "true"})
    assert registry.cards["bob"] in partial.text and "<html" not in partial.text
    page = client.get(f"/admin/cards/{registry.cards['bob']}")
    done = client.post(
        f"/admin/cards/{registry.cards['bob']}/suspend",
        data={"csrf_token": page_csrf(page.text), "reason": "site incident"},
    )
    assert done.status_code == 200 and "The card was suspended" in done.text
    assert "site incident" in done.text
    view = cards.show_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"])
    assert view.state == "suspended"


def test_a_forged_csrf_token_changes_nothing(client, registry, uow_factory):
    sign_in(client, registry.emails["ecs_admin"])
    answer = client.post(
        f"/admin/cards/{registry.cards['bob']}/revoke", data={"csrf_token": "forged", "reason": "x"}
    )
    assert answer.status_code == 403
    view = cards.show_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"])
    assert view.state == "valid"


def test_an_illegal_action_shows_the_reason_on_the_card_page(client, registry):
    sign_in(client, registry.emails["ecs_admin"])
    page = client.get(f"/admin/cards/{registry.cards['bob']}")
    answer = client.post(
        f"/admin/cards/{registry.cards['bob']}/revoke",
        data={"csrf_token": page_csrf(page.text), "reason": "  "},
    )
    assert answer.status_code == 422
    assert "There is a problem" in answer.text and "A reason is required" in answer.text


def test_cardholder_sees_own_cards_and_not_the_admin_pages(client, registry):
    sign_in(client, registry.emails["ann"])
    mine = client.get("/my")
    assert registry.cards["ann"] in mine.text and "Núñez-O&#39;Brien" in mine.text
    assert registry.cards["bob"] not in mine.text
    assert client.get("/admin/cards").status_code == 403
    assert client.get(f"/admin/cards/{registry.cards['bob']}").status_code == 404


def test_scheme_admin_cannot_open_another_schemes_card_page(client, registry):
    sign_in(client, registry.emails["ecs_admin"])
    assert client.get(f"/admin/cards/{registry.cards['cy']}").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, registry):
    answer = client.get("/admin/cards", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_an_expired_session_asks_to_sign_in_again(client, registry, engine):
    sign_in(client, registry.emails["ecs_admin"])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with engine.begin() as connection:
        from skillcard.adapters.db.tables import web_sessions

        connection.execute(web_sessions.update().values(expires_at=past))
    answer = client.get("/admin/cards", follow_redirects=False)
    assert answer.status_code == 303 and "/login" in answer.headers["location"]


def test_sign_out_ends_the_session_on_the_server(client, registry):
    sign_in(client, registry.emails["ecs_admin"])
    cookie = client.cookies.get("skillcard_session")
    page = client.get("/admin/cards")
    client.post("/logout", data={"csrf_token": page_csrf(page.text)})
    client.cookies.set("skillcard_session", cookie)  # a stolen copy of the cookie
    assert client.get("/admin/cards", follow_redirects=False).status_code == 303


def test_next_never_leaves_the_site(client, registry):
    answer = sign_in(client, registry.emails["hub"], next_url="https://evil.example/")
    assert answer.headers["location"] == "/"
