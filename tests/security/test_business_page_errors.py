"""Every form of the Business Check pages, sent bad input, answers with a 4xx page that says
what is wrong: never a 500 (issue 14: a failed invitation called the page helper with the
wrong arguments and ended in one). On both databases."""

from __future__ import annotations

import pytest

from skillcard.services.business import business
from tests.e2e import conftest as e2e
from tests.e2e.conftest import page_csrf, sign_in
from tests.factories import PASSWORD
from tests.integration.test_business import URL, _link, register

# The HTTP fixtures of tests/e2e (the real app on the parametrised database).
app, client, files_dir = e2e.app, e2e.client, e2e.files_dir


def _form_token(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture
def acme(uow_factory, registry):
    """A confirmed business with its admin and one checker who has set a password."""
    _business_id, admin = register(uow_factory)
    business.invite_checker(uow=uow_factory(), who=admin, email="chk@acme.test", public_url=URL)
    token = _link(uow_factory, "chk@acme.test", "/business/invite/")
    business.accept_invitation(uow=uow_factory(), token=token, password=PASSWORD)
    return admin


def _assert_problem(answer, status: int, message: str) -> None:
    where = f"{answer.request.method} {answer.request.url.path}"
    assert answer.status_code == status, (where, answer.status_code, answer.text[-800:])
    assert message in answer.text, (where, message, answer.text[-800:])
    assert answer.headers["content-type"].startswith("text/html"), where


def test_the_forms_before_signing_in_explain_their_problems(client, acme):
    token = _form_token(client.get("/business/register").text)
    registration = {
        "name": "Acme Two",
        "company_number": "01234567",  # taken by acme
        "address": "Leeds",
        "admin_name": "Al",
        "email": "al@acme2.test",
        "password": PASSWORD,
        "csrf_token": token,
    }
    _assert_problem(
        client.post("/business/register", data={**registration, "name": ""}),
        422,
        "Enter the business",
    )
    _assert_problem(
        client.post("/business/register", data={**registration, "company_number": "ZZ1"}),
        422,
        "Companies House",
    )
    _assert_problem(
        client.post("/business/register", data=registration), 422, "company registration number"
    )
    _assert_problem(
        client.post("/business/register", data={**registration, "name": "x" * 201}),
        422,
        "name",
    )
    _assert_problem(client.get("/business/confirm/not-a-real-link"), 404, "That link did not work")
    invite = client.get("/business/invite/not-a-real-link")
    bad_link = client.post(
        "/business/invite/not-a-real-link",
        data={"password": "a long enough password", "csrf_token": _form_token(invite.text)},
    )
    assert 400 <= bad_link.status_code < 500 and "There is a problem" in bad_link.text
    short = client.post(
        "/business/invite/not-a-real-link",
        data={"password": "short", "csrf_token": _form_token(invite.text)},
    )
    _assert_problem(short, 422, "password")
    _assert_problem(client.post("/business/register", data={}), 403, "did not work")  # no CSRF


def test_the_admins_forms_explain_their_problems(client, acme, registry):
    sign_in(client, "boss@acme.test")
    csrf = page_csrf(client.get("/business").text)
    post = client.post

    _assert_problem(post("/business/workforce", data={"csrf_token": csrf}), 422, "Enter the card")
    _assert_problem(
        post(
            "/business/workforce",
            data={"csrf_token": csrf, "number": registry.cards["ann"], "surname": "Wrong"},
        ),
        422,
        "No card matches",
    )
    _assert_problem(
        post("/business/workforce/999999/remove", data={"csrf_token": csrf}), 404, "did not work"
    )
    _assert_problem(post("/business/check", data={"csrf_token": csrf}), 422, "There is a problem")
    _assert_problem(
        post(
            "/business/check",
            data={"csrf_token": csrf, "number": "X", "surname": "Y", "latitude": "north"},
        ),
        422,
        "position from the phone",
    )
    _assert_problem(post("/business/bulk", data={"csrf_token": csrf}), 422, "There is a problem")
    _assert_problem(
        post(
            "/business/bulk",
            data={"csrf_token": csrf},
            files={"file": ("x.csv", b"\x00\xff\xfe not a csv", "text/csv")},
        ),
        422,
        "There is a problem",
    )
    _assert_problem(client.get("/business/reports?start=yesterday"), 422, "YYYY-MM-DD")
    _assert_problem(
        client.get("/business/reports?start=2026-05-02&end=2026-05-01"), 422, "after the end"
    )
    _assert_problem(client.get("/business/reports/download?format=doc"), 422, "pdf or csv")
    _assert_problem(client.get("/business/bulk/no-such-job"), 404, "did not work")

    # The invitation's failures: each was a 500 before (issue 14).
    _assert_problem(
        post("/business/people/invite", data={"csrf_token": csrf, "email": ""}),
        422,
        "e-mail",
    )
    _assert_problem(
        post("/business/people/invite", data={"csrf_token": csrf, "email": "not an address"}),
        422,
        "e-mail",
    )
    _assert_problem(
        post("/business/people/invite", data={"csrf_token": csrf, "email": "chk@acme.test"}),
        409,
        "already exists",
    )
    page = post("/business/people/invite", data={"csrf_token": csrf, "email": "chk@acme.test"})
    assert 'value="chk@acme.test"' in page.text  # what was typed is kept
    _assert_problem(
        post("/business/people/999999/remove", data={"csrf_token": csrf}), 404, "did not work"
    )
    _assert_problem(
        post("/business/webhook", data={"csrf_token": csrf, "url": "https://127.0.0.1/"}),
        422,
        "not a public internet address",
    )
    _assert_problem(
        post("/business/webhook", data={"csrf_token": csrf, "url": "http://example.com/"}),
        422,
        "https://",
    )
    _assert_problem(
        post("/business/people/invite", data={"email": "z@acme.test"}), 403, "did not work"
    )


def test_a_checkers_forms_refuse_what_only_admins_may_do(client, acme):
    sign_in(client, "chk@acme.test")
    csrf = page_csrf(client.get("/business").text)
    _assert_problem(
        client.post("/business/people/invite", data={"csrf_token": csrf, "email": "new@acme.test"}),
        403,
        "There is a problem",
    )
    _assert_problem(
        client.post("/business/webhook", data={"csrf_token": csrf, "url": "https://8.8.8.8/"}),
        403,
        "There is a problem",
    )
