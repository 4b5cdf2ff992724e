"""Business Check over HTTP (issue 4): the API with per-business bearer tokens, the pages,
and that one business reaches nothing of another's, through either door."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from skillcard.config import Settings
from skillcard.web import create_app
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.factories import PASSWORD, approve_business


def _outbox_link(uow_factory, email: str, marker: str) -> str:
    with uow_factory() as uow:
        body = uow.outbox.recent(5, to_address=email)[0].body
    return marker + body.split(marker)[1].split()[0]


def _business(client, uow_factory, email: str, company: str, name: str) -> str:
    """Register through the API, confirm by the e-mailed link, and get a bearer token."""
    answer = client.post(
        "/api/v1/business/register",
        json={
            "name": name,
            "company_number": company,
            "address": "1 High Street, Leeds",
            "admin_name": "Boss",
            "email": email,
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 201, answer.text
    link = _outbox_link(uow_factory, email, "/business/confirm/")
    assert client.get(link).status_code == 200
    token = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    return token.json()["token"]


@pytest.fixture
def two(client, uow_factory, registry):
    return (
        _business(client, uow_factory, "a@acme.test", "01234567", "Acme"),
        _business(client, uow_factory, "b@bravo.test", "SC123456", "Bravo"),
    )


def _wait(client, token, job_id):
    for _ in range(100):
        job = client.get(f"/api/v1/business/bulk/{job_id}", headers=bearer(token)).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("the bulk check did not finish")


def test_the_api_covers_workforce_checks_bulk_and_reports(client, registry, two):
    acme, bravo = two
    h = bearer(acme)
    added = client.post(
        "/api/v1/business/workforce",
        json={"number": registry.cards["ann"], "surname": "nunez-obrien", "site": "Leeds"},
        headers=h,
    )
    assert added.status_code == 201
    wrong = client.post(
        "/api/v1/business/workforce",
        json={"number": registry.cards["bob"], "surname": "Jones"},
        headers=h,
    )
    assert wrong.status_code == 404 and "No card matches" in wrong.json()["error"]["message"]
    board = client.get("/api/v1/business/workforce", headers=h).json()
    assert board["counts"]["valid"] == 1 and board["workers"][0]["holder_name"].startswith("Ann")
    spot = client.post(
        "/api/v1/business/checks",
        json={
            "number": registry.cards["bob"],
            "surname": "smith",
            "spot": True,
            "site": "York",
            "face_confirmed": True,
            "latitude": 53.96,
            "longitude": -1.08,
        },
        headers=h,
    )
    assert spot.status_code == 200 and spot.json()["outcome"] == "valid"
    offline = client.post(
        "/api/v1/business/checks/offline",
        json=[
            {
                "number": registry.cards["cy"],
                "surname": "Jones",
                "checked_at": "2020-01-01T09:00:00Z",
            }
        ],
        headers=h,
    )
    assert offline.json()["results"][0]["error"].startswith("checked_at is more than 30 days")
    upload = client.post(
        "/api/v1/business/bulk",
        files={
            "file": (
                "staff.csv",
                f"number,surname,label\n{registry.cards['cy']},Jones,=cmd\n",
                "text/csv",
            )
        },
        headers=h,
    )
    assert upload.status_code == 202, upload.text
    job = _wait(client, acme, upload.json()["id"])
    assert job["status"] == "done" and job["done_rows"] == 1
    result = client.get(job["result_url"], headers=h)
    rows = list(csv.DictReader(io.StringIO(result.content.decode("utf-8-sig"))))
    assert rows[0]["label"] == "'=cmd" and rows[0]["outcome"] == "valid"
    pdf = client.get("/api/v1/business/reports?format=pdf", headers=h)
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Acme" in text and "Bob Smith" in text
    report_csv = client.get("/api/v1/business/reports?format=csv", headers=h).text
    assert "York" in report_csv and "bulk" in report_csv
    history = client.get("/api/v1/business/checks", headers=h).json()["checks"]
    assert {c["method"] for c in history} == {"spot", "bulk"}

    # Bravo sees and touches none of it.
    hb = bearer(bravo)
    assert client.get("/api/v1/business/workforce", headers=hb).json()["workers"] == []
    assert client.get("/api/v1/business/checks", headers=hb).json()["checks"] == []
    entry = board["workers"][0]["id"]
    assert client.delete(f"/api/v1/business/workforce/{entry}", headers=hb).status_code == 404
    assert client.get(f"/api/v1/business/bulk/{job['id']}", headers=hb).status_code == 404
    assert client.get(job["result_url"], headers=hb).status_code == 404
    bravo_pdf = client.get("/api/v1/business/reports?format=pdf", headers=hb)
    assert "Bob Smith" not in PdfReader(io.BytesIO(bravo_pdf.content)).pages[0].extract_text()
    assert client.delete(f"/api/v1/business/workforce/{entry}", headers=h).status_code == 204


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a CSV text file"),
        (b"", "empty"),
        (b"number,surname\n" + b"ECS00000001,Smith\n" * 60_000, "more than 50,000 rows"),
    ],
)
def test_bad_uploads_get_a_clear_answer(client, two, content, message):
    answer = client.post(
        "/api/v1/business/bulk",
        files={"file": ("staff.csv", content, "text/csv")},
        headers=bearer(two[0]),
    )
    assert answer.status_code == 422 and message in answer.json()["error"]["message"]


def test_people_outside_businesses_are_refused(client, tokens):
    for key in ("ann", "ecs_admin"):
        answer = client.get("/api/v1/business/workforce", headers=bearer(tokens[key]))
        assert answer.status_code == 403
    assert client.get("/api/v1/business/workforce").status_code == 401


def test_pages_register_invite_and_keep_businesses_apart(client, uow_factory, registry, two):
    token = _form_token(client.get("/business/register").text)
    page = client.post(
        "/business/register",
        data={
            "name": "",
            "company_number": "12",
            "address": "",
            "admin_name": "",
            "email": "",
            "csrf_token": token,
        },
    )
    assert page.status_code == 422 and "Enter the business" in page.text
    bad = client.post(
        "/business/register",
        data={
            "name": "X",
            "company_number": "ZZ1",
            "address": "Leeds",
            "admin_name": "X",
            "email": "x@x.test",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422 and "Companies House" in bad.text
    assert sign_in(client, "a@acme.test", next_url="/business").status_code == 303
    board = client.get("/business")
    assert board.status_code == 200 and "Acme" in board.text
    csrf = page_csrf(board.text)
    added = client.post(
        "/business/workforce",
        data={"csrf_token": csrf, "number": registry.cards["bob"], "surname": "Smith"},
        follow_redirects=True,
    )
    assert "Bob Smith" in added.text
    invite = client.post(
        "/business/people/invite",
        data={"csrf_token": csrf, "email": "chk@acme.test", "display_name": "Chek"},
        follow_redirects=True,
    )
    assert "The invitation was sent" in invite.text
    link = _outbox_link(uow_factory, "chk@acme.test", "/business/invite/")
    client.post("/logout", data={"csrf_token": csrf})
    invite_token = _form_token(client.get(link).text)
    set_password = client.post(
        link, data={"password": "a new long password", "csrf_token": invite_token}
    )
    assert "Your password is set" in set_password.text
    assert sign_in(client, "chk@acme.test", "a new long password").status_code == 303
    assert "Bob Smith" in client.get("/business").text
    assert "Invite a checker" not in client.get("/business/people").text
    client.post("/logout", data={"csrf_token": page_csrf(client.get("/business").text)})
    sign_in(client, "b@bravo.test")
    other = client.get("/business")
    assert "Bob Smith" not in other.text and "Bravo" in other.text
    assert client.get("/business/reports").status_code == 200
    assert "Bob Smith" not in client.get("/business/reports/download?format=csv").text


def test_the_check_page_records_spot_checks_and_syncs_the_phones_queue(client, registry, two):
    sign_in(client, "a@acme.test")
    form = client.get("/business/check")
    csrf = page_csrf(form.text)
    bobs = {"csrf_token": csrf, "number": registry.cards["bob"], "surname": "smith", "site": "A1"}
    # The checker's own tick makes it a spot check, as the API's flag does: a site alone does not.
    ordinary = client.post("/business/check", data={**bobs, "site": "Gate 2"})
    assert ordinary.status_code == 200 and 'data-outcome="valid"' in ordinary.text
    no_site = client.post("/business/check", data={**bobs, "site": " ", "spot": "yes"})
    assert no_site.status_code == 422 and "needs the site" in no_site.text
    assert 'id="site-error"' in no_site.text and 'id="number-error"' not in no_site.text
    bobs["spot"] = "yes"
    missing_face = client.post("/business/check", data=bobs)
    assert missing_face.status_code == 422 and "face matches" in missing_face.text
    assert 'radios has-error" id="face"' in missing_face.text
    spot = client.post(
        "/business/check",
        data={
            **bobs,
            "face": "yes",
            "latitude": "53.1",
            "longitude": "-1.2",
        },
    )
    assert spot.status_code == 200 and 'data-outcome="valid"' in spot.text
    queued = [
        {
            "number": registry.cards["ann"],
            "surname": "Nunez-OBrien",
            "checked_at": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat(),
            "site": "Basement",
        }
    ]
    refused = client.post("/business/checks/offline", json=queued)
    assert refused.status_code == 403  # no CSRF header: not from our page
    synced = client.post("/business/checks/offline", json=queued, headers={"X-CSRF-Token": csrf})
    assert synced.status_code == 200 and synced.json()["stored"] == 1
    board = client.get("/business").text
    assert "spot check by a@acme.test at A1" in board
    assert "single check by a@acme.test at Gate 2" in board


def _form_token(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_forms_posted_before_sign_in_must_come_from_our_page(client):
    """Registration and invitations have no session yet: a cookie and the form carry one
    token (double submit), so another site cannot post them in a visitor's name."""
    form = {
        "name": "Forged Ltd",
        "company_number": "01234567",
        "address": "Leeds",
        "admin_name": "F",
        "email": "f@forged.test",
        "password": PASSWORD,
    }
    assert client.post("/business/register", data=form).status_code == 403
    client.get("/business/register")  # the cookie is set, but the form's token is missing
    assert client.post("/business/register", data=form).status_code == 403
    assert client.post("/business/invite/abc", data={"password": PASSWORD}).status_code == 403


def test_registrations_are_limited_per_client(engine, database_url, files_dir):
    """Each registration e-mails the address given: a client may register a few an hour."""
    settings = Settings(
        environment="test",
        database_url=database_url,
        files_dir=files_dir,
        registration_rate_limit=2,
    )
    with TestClient(create_app(settings, engine=engine)) as limited:
        codes = [
            limited.post(
                "/api/v1/business/register",
                json={
                    "name": f"Firm {n}",
                    "company_number": f"0123456{n}",
                    "address": "Leeds",
                    "admin_name": "A",
                    "email": f"a{n}@firm.test",
                    "password": PASSWORD,
                },
            ).status_code
            for n in range(3)
        ]
    assert codes == [201, 201, 429]


def test_a_finished_bulk_check_lists_the_rows_to_look_at_a_page_at_a_time(
    client, registry, two, uow_factory
):
    """Issue 19: beside the download, the not-valid rows and the rows with errors, paged."""
    with uow_factory() as uow:  # 54 rows: past a new business's allowance (issue 14)
        acme = uow.businesses.by_company_number("01234567")
    approve_business(uow_factory, acme.id)
    rows = [f"{registry.cards['bob']},Smith"]  # valid: not listed
    rows += [f"{registry.cards['ann']},Wrong{i}" for i in range(52)]  # no card matches
    rows.append("not-a-number,Jones")  # an error
    answer = client.post(
        "/api/v1/business/bulk",
        files={"file": ("staff.csv", "number,surname\n" + "\n".join(rows) + "\n")},
        headers=bearer(two[0]),
    )
    job = _wait(client, two[0], answer.json()["id"])
    assert job["status"] == "done"
    sign_in(client, "a@acme.test", next_url="/business")
    first = client.get(f"/business/bulk/{job['id']}").text
    assert "Rows to look at" in first and "53 rows are not valid or could not be checked" in first
    assert "1 to 50 shown" in first and "Page 1 of 2" in first and "?page=2" in first
    assert "No card matches" in first and ">no_match<" not in first
    assert "Smith" not in first.split("Rows to look at")[1]  # the valid row is not listed
    second = client.get(f"/business/bulk/{job['id']}?page=2").text
    assert "51 to 53 shown" in second and "Not checked:" in second and "Wrong51" in second
    assert client.get(f"/business/bulk/{job['id']}?page=x").status_code == 200
    client.cookies.clear()
    assert sign_in(client, "b@bravo.test", next_url="/business").status_code == 303
    other = client.get(f"/business/bulk/{job['id']}")
    assert other.status_code == 404, other.text[-3000:]
