"""Reports of suspect cards over HTTP (issue 17 item 5), on both databases: anyone reports,
only the issuing scheme's admins read and decide, the reporter never learns the outcome."""

from __future__ import annotations

import pytest

from skillcard.adapters.photos import MAX_UPLOAD_BYTES
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.e2e.test_card_pages import jpeg

URL = "/api/v1/checks/reports"


def _report(client, number, reason="photo_mismatch", headers=None, photo=None, **extra):
    files = {"photo": ("card.jpg", photo, "image/jpeg")} if photo is not None else None
    return client.post(
        URL, data={"number": number, "reason": reason, **extra}, files=files, headers=headers or {}
    )


def test_an_anonymous_report_gets_a_receipt_and_nothing_about_the_card(client, registry):
    answer = _report(client, registry.cards["ann"], photo=jpeg(), details="face is not his")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"receipt", "message"} and body["message"] == "report received"
    assert body["receipt"].startswith("SR-")


def test_a_card_not_on_record_gets_the_same_answer(client, registry, uow_factory):
    with uow_factory() as uow:
        missing = uow.schemes.by_code("ECS").number_format.number_for(99_999)
    answer = _report(client, missing)
    assert answer.status_code == 201 and answer.json()["message"] == "report received"


@pytest.mark.parametrize(
    ("reason", "photo", "details", "code"),
    [
        ("lookalike", None, "", "invalid_input"),
        ("looks_forged", b"not an image at all", "", "photo_refused"),
        ("looks_forged", b"\xff\xd8" + b"0" * MAX_UPLOAD_BYTES, "", "photo_refused"),
        ("other", None, "x" * 1001, None),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_stored(
    client, registry, tokens, reason, photo, details, code
):
    answer = _report(client, registry.cards["ann"], reason=reason, photo=photo, details=details)
    assert answer.status_code == 422, answer.text
    if code:
        assert answer.json()["error"]["code"] == code
    queue = client.get("/api/v1/suspect-reports", headers=bearer(tokens["ecs_admin"]))
    assert queue.json() == []


def test_anonymous_reports_are_rate_limited(client, registry):
    for _ in range(5):
        assert _report(client, registry.cards["bob"]).status_code == 201
    refused = _report(client, registry.cards["bob"])
    assert refused.status_code == 429 and refused.headers.get("retry-after")


def test_only_the_issuing_schemes_admins_read_a_report_never_the_reporter(client, registry, tokens):
    reporter = bearer(tokens["ann"])  # a signed-in reporter, reporting someone else's card
    receipt = _report(client, registry.cards["bob"], headers=reporter, photo=jpeg()).json()
    receipt = receipt["receipt"]
    path = f"/api/v1/suspect-reports/{receipt}"
    admin = bearer(tokens["ecs_admin"])
    queue = client.get("/api/v1/suspect-reports", headers=admin).json()
    assert [r["receipt"] for r in queue] == [receipt]
    assert queue[0]["holder_name"] == "Bob Smith" and queue[0]["has_photo"]
    photo = client.get(f"{path}/photo", headers=admin)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    for who in ("cpcs_admin", "ann", "biz_admin"):
        for url in (path, f"{path}/photo"):
            assert client.get(url, headers=bearer(tokens[who])).status_code in (403, 404), who
    assert client.get("/api/v1/suspect-reports", headers=bearer(tokens["cpcs_admin"])).json() == []
    assert client.get("/api/v1/suspect-reports", headers=reporter).status_code == 403
    refused = client.post(
        f"{path}/decision", headers=bearer(tokens["cpcs_admin"]), json={"action": "revoke"}
    )
    assert refused.status_code == 404
    done = client.post(f"{path}/decision", headers=admin, json={"action": "suspend", "note": "ID"})
    assert done.status_code == 200 and done.json()["state"] == "suspended"
    card = client.get(f"/api/v1/cards/{registry.cards['bob']}", headers=admin).json()
    assert card["status"] == "suspended" and receipt in card["status_reason"]
    again = client.post(f"{path}/decision", headers=admin, json={"action": "dismiss"})
    assert again.status_code == 409
    assert client.get("/api/v1/suspect-reports", headers=admin).json() == []
    assert client.get(path, headers=reporter).status_code in (403, 404)  # still not theirs


def test_a_bad_decision_is_refused(client, registry, tokens):
    receipt = _report(client, registry.cards["bob"]).json()["receipt"]
    admin = bearer(tokens["ecs_admin"])
    path = f"/api/v1/suspect-reports/{receipt}/decision"
    assert client.post(path, headers=admin, json={"action": "delete"}).status_code == 422
    card = client.get(f"/api/v1/cards/{registry.cards['bob']}", headers=admin).json()
    assert card["status"] == "active"


def test_the_page_reports_from_a_check_and_the_admin_revokes(client, registry):
    number = registry.cards["bob"]
    checked = client.post("/check", data={"number": number, "surname": "Smith"})
    assert "Report this card" in checked.text
    form = client.get(f"/check/report?number={number}&scheme=ECS")
    assert form.status_code == 200
    sent = client.post(
        "/check/report",
        data={
            "csrf_token": page_csrf(form.text),
            "number": number,
            "scheme": "ECS",
            "reason": "looks_forged",
        },
        files={"photo": ("c.jpg", jpeg(), "image/jpeg")},
    )
    assert sent.status_code == 201 and "Report received" in sent.text
    assert "Valid" not in sent.text and "valid" not in sent.text.lower().split("report")[0]
    receipt = sent.text.split('class="receipt">')[1].split("<")[0]
    forged = client.post(
        "/check/report", data={"csrf_token": "x", "number": number, "reason": "other"}
    )
    assert forged.status_code == 403
    sign_in(client, registry.emails["ecs_admin"])
    queue = client.get("/admin/suspect-reports")
    assert receipt in queue.text
    page = client.get(f"/admin/suspect-reports/{receipt}")
    assert "Photo sent with the report" in page.text
    done = client.post(
        f"/admin/suspect-reports/{receipt}",
        data={"csrf_token": page_csrf(page.text), "action": "revoke", "note": "forged"},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "Card revoked" in done.text
