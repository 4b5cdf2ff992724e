"""Issue 14, Accounts item 1: password change and reset.

A change needs the current password and ends the user's other sessions; a forgotten password
is reset by an e-mailed link that works once, expires and is superseded by a newer one, with
the same answer for any address; a hub admin can force a reset; and every door refuses short
and common passwords with a clear message. Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from skillcard.adapters.passwords import common_passwords
from skillcard.domain.passwords import check_new_password
from skillcard.errors import Conflict, InvalidInput, NotFound
from skillcard.services.accounts import passwords
from skillcard.services.audit.audit import utcnow
from tests.e2e.conftest import app, bearer, cli, client, files_dir, page_csrf, sign_in, tokens
from tests.factories import PASSWORD

__all__ = ["app", "cli", "client", "files_dir", "tokens"]  # fixtures used by name

NEW = "a brand new passphrase"
COMMON = "LeaveMeAlone"  # 12 characters, and in the list (lower-cased)
URL = "http://skillcard.test"


def _links(uow_factory, email: str) -> list[str]:
    """The secrets of the reset links e-mailed to ``email``, newest first."""
    with uow_factory(read_only=True) as uow:
        bodies = [m.body for m in uow.outbox.recent(50, to_address=email)]
    return [found for body in bodies for found in re.findall(r"/password/reset/(\S+)", body)]


def _ask(uow_factory, email: str, now: dt.datetime | None = None) -> None:
    passwords.request_password_reset(
        uow=uow_factory(), email=email, public_url=URL, minutes=60, now=now
    )


def _audited(uow_factory, email: str) -> list[str]:
    with uow_factory(read_only=True) as uow:
        events = uow.audit.for_entity("user", email)
    return [e.action for e in events if e.action.startswith("password.")]


def _signed_in(app, email: str, password: str = PASSWORD) -> TestClient:
    browser = TestClient(app)
    assert sign_in(browser, email, password).status_code == 303
    return browser


def _can_use_pages(browser: TestClient) -> bool:
    return browser.get("/account/password", follow_redirects=False).status_code == 200


# --- the rule ---------------------------------------------------------------------------------


def test_the_rule_refuses_short_and_common_passwords_whatever_their_case():
    common = common_passwords()
    assert len(common) == 10_000 and "password" in common and "leavemealone" in common
    with pytest.raises(InvalidInput, match="at least 12 characters"):
        check_new_password("elevenchars", common)
    for refused in (COMMON, "LEAVEMEALONE", " leavemealone "):
        with pytest.raises(InvalidInput, match="most common"):
            check_new_password(refused, common)
    check_new_password("twelve chars", common)  # 12 and not common: accepted


# --- change -----------------------------------------------------------------------------------


def test_a_change_needs_the_current_password_and_ends_only_the_other_sessions(
    app, registry, uow_factory
):
    email = registry.emails["ecs_admin"]
    here, elsewhere = _signed_in(app, email), _signed_in(app, email)
    form = here.get("/account/password")
    csrf = page_csrf(form.text)

    wrong = here.post(
        "/account/password",
        data={"current_password": "not my password", "password": NEW, "csrf_token": csrf},
    )
    assert wrong.status_code == 422 and "current password is not right" in wrong.text
    assert 'id="current_password-error"' in wrong.text  # shown beside its field
    assert 'id="password-error"' not in wrong.text
    assert _can_use_pages(elsewhere)  # a refused change ends nothing

    done = here.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _can_use_pages(here)
    assert not _can_use_pages(elsewhere)
    assert sign_in(TestClient(app), email, PASSWORD).status_code == 401
    assert sign_in(TestClient(app), email, NEW).status_code == 303
    assert _audited(uow_factory, email) == ["password.change"]


def test_a_change_over_the_api_needs_the_current_password(client, registry, tokens, app):
    email = registry.emails["ann"]
    browser = _signed_in(app, email)
    auth = bearer(tokens["ann"])
    wrong = client.post(
        "/api/v1/me/password",
        json={"current_password": "not my password", "new_password": NEW},
        headers=auth,
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message"] == "your current password is not right"
    assert _can_use_pages(browser)
    answer = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=auth,
    )
    assert answer.status_code == 204
    assert not _can_use_pages(browser)
    assert client.get("/api/v1/me", headers=auth).status_code == 200  # tokens stay on a change


def test_a_stolen_session_cannot_guess_the_current_password_at_leisure(client, registry, tokens):
    guesses = [
        client.post(
            "/api/v1/me/password",
            json={"current_password": f"guess number {n}", "new_password": NEW},
            headers=bearer(tokens["bob"]),
        ).status_code
        for n in range(11)
    ]
    assert guesses == [422] * 10 + [429]


# --- reset ------------------------------------------------------------------------------------


def test_asking_for_a_reset_answers_the_same_for_an_unknown_address(client, registry, uow_factory):
    known, unknown = registry.emails["ann"], "nobody@example.test"
    answers = [client.post("/api/v1/password-resets", json={"email": e}) for e in (known, unknown)]
    assert answers[0].status_code == answers[1].status_code == 202
    assert answers[0].json() == answers[1].json()

    pages = []
    for email in (known, unknown):
        csrf = page_csrf(client.get("/password/forgot").text)
        pages.append(client.post("/password/forgot", data={"email": email, "csrf_token": csrf}))
    assert pages[0].status_code == pages[1].status_code == 200
    assert pages[0].text.replace(known, unknown) == pages[1].text
    assert len(_links(uow_factory, known)) == 2 and _links(uow_factory, unknown) == []


def test_asking_too_often_is_refused_alike_for_any_address(app, registry):
    """Five an hour per address (and per client): a sixth is refused from any other client
    too, the same way whether or not the address has an account."""
    refusals = []
    for email in (registry.emails["bob"], "nobody@example.test"):
        for n in range(6):
            other = TestClient(app, client=(f"192.0.2.{n}", 50000))  # another client each time
            answer = other.post("/api/v1/password-resets", json={"email": email})
            assert answer.status_code == (202 if n < 5 else 429)
        refusals.append(answer.json()["error"]["message"].split(". Try again")[0])
    assert refusals[0] == refusals[1]


def test_a_reset_link_works_once_and_ends_every_session_and_token(
    app, client, registry, tokens, uow_factory
):
    email = registry.emails["ecs_admin"]
    browser = _signed_in(app, email)
    _ask(uow_factory, email)
    (secret,) = _links(uow_factory, email)
    form = client.get(f"/password/reset/{secret}")
    assert form.status_code == 200 and form.headers["referrer-policy"] == "no-referrer"
    csrf = page_csrf(form.text)

    short = client.post(f"/password/reset/{secret}", data={"password": "short", "csrf_token": csrf})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    done = client.post(f"/password/reset/{secret}", data={"password": NEW, "csrf_token": csrf})
    assert done.status_code == 200 and "Your password is changed" in done.text

    again = client.post(
        f"/password/reset/{secret}", data={"password": "yet another passphrase", "csrf_token": csrf}
    )
    assert again.status_code == 409 and "used already" in again.text
    assert not _can_use_pages(browser)
    assert client.get("/api/v1/me", headers=bearer(tokens["ecs_admin"])).status_code == 401
    assert sign_in(TestClient(app), email, NEW).status_code == 303
    assert sign_in(TestClient(app), email, "yet another passphrase").status_code == 401


def test_a_reset_link_expires(registry, uow_factory):
    email = registry.emails["ann"]
    _ask(uow_factory, email, now=utcnow() - dt.timedelta(minutes=61))
    (secret,) = _links(uow_factory, email)
    with pytest.raises(Conflict, match="expired"):
        passwords.reset_password(uow=uow_factory(), token=secret, new_password=NEW)


def test_a_newer_link_supersedes_the_older_ones(client, registry, uow_factory):
    email = registry.emails["ann"]
    _ask(uow_factory, email)
    _ask(uow_factory, email)
    newest, older = _links(uow_factory, email)
    refused = client.post(
        "/api/v1/password-resets/confirm", json={"token": older, "new_password": NEW}
    )
    assert refused.status_code == 409 and "newer one was sent" in refused.json()["error"]["message"]
    used = client.post(
        "/api/v1/password-resets/confirm", json={"token": newest, "new_password": NEW}
    )
    assert used.status_code == 204
    with pytest.raises(NotFound):
        passwords.reset_password(uow=uow_factory(), token="made-up", new_password=NEW)


# --- forced reset -----------------------------------------------------------------------------


def test_a_forced_reset_kills_the_old_password_sessions_and_tokens(
    app, client, registry, tokens, uow_factory
):
    email = registry.emails["biz_checker"]
    browser = _signed_in(app, email)
    refused = client.post(
        "/api/v1/password-resets/forced",
        json={"email": email},
        headers=bearer(tokens["ecs_admin"]),
    )
    assert refused.status_code == 403 and _can_use_pages(browser)

    answer = client.post(
        "/api/v1/password-resets/forced", json={"email": email}, headers=bearer(tokens["hub"])
    )
    assert answer.status_code == 202
    assert sign_in(TestClient(app), email, PASSWORD).status_code == 401
    assert not _can_use_pages(browser)
    assert client.get("/api/v1/me", headers=bearer(tokens["biz_checker"])).status_code == 401
    (secret,) = _links(uow_factory, email)
    passwords.reset_password(uow=uow_factory(), token=secret, new_password=NEW)
    assert sign_in(TestClient(app), email, NEW).status_code == 303
    assert _audited(uow_factory, email) == ["password.force_reset", "password.reset"]


def test_a_forced_reset_from_the_page_and_the_command_line(app, cli, registry, uow_factory):
    hub = _signed_in(app, registry.emails["hub"])
    csrf = page_csrf(hub.get("/admin/password-reset").text)
    done = hub.post(
        "/admin/password-reset", data={"email": registry.emails["ann"], "csrf_token": csrf}
    )
    assert done.status_code == 200 and "no longer works" in done.text
    assert sign_in(TestClient(app), registry.emails["ann"], PASSWORD).status_code == 401
    not_admin = _signed_in(app, registry.emails["ecs_admin"])
    assert not_admin.get("/admin/password-reset").status_code == 403

    code, out, _ = cli("user", "force-reset", registry.emails["bob"], "--json")
    assert code == 0 and '"reset": true' in out
    assert sign_in(TestClient(app), registry.emails["bob"], PASSWORD).status_code == 401
    code, _, err = cli("user", "force-reset", "nobody@example.test")
    assert code == 2 and "no user" in err


# --- every door refuses a short or common password ------------------------------------------


def test_every_door_refuses_short_and_common_passwords(client, cli, registry, tokens):
    for password, says in (("elevenchars", "at least 12 characters"), (COMMON, "most common")):
        api = client.post(
            "/api/v1/users",
            json={"email": "new@example.test", "role": "hub_admin", "password": password},
            headers=bearer(tokens["hub"]),
        )
        assert api.status_code == 422 and says in api.json()["error"]["message"]
        mine = client.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": password},
            headers=bearer(tokens["hub"]),
        )
        assert mine.status_code == 422 and says in mine.json()["error"]["message"]
        code, _, err = cli(
            "user", "add", "new@example.test", "--role", "hub_admin", "--password", password
        )
        assert code == 2 and says in err
        csrf = page_csrf(client.get("/business/register").text)
        page = client.post(
            "/business/register",
            data={
                "name": "Acme Ltd",
                "company_number": "01234567",
                "address": "1 High Street",
                "admin_name": "Ada",
                "email": "ada@acme.test",
                "password": password,
                "csrf_token": csrf,
            },
        )
        assert page.status_code == 422 and says in page.text
