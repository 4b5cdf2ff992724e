"""MyCard over HTTP (pages and API) and the CLI, on SQLite and PostgreSQL (issue 6)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from skillcard.services.registry import cardholders
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.mycard_support import EXE, PDF, add_hse_pass

DAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def _log_cpd(client, files, **fields):
    page = client.get("/my/cpd")
    data = {
        "csrf_token": page_csrf(page.text),
        "activity_on": DAY,
        "activity_type": "training_course",
        "title": "Heat pump course",
        "hours": "7",
        "learned": "Refrigerant handling",
        "reflection": "Use it on site",
        **fields,
    }
    return client.post("/my/cpd", data=data, files=files, follow_redirects=False)


def test_holder_logs_cpd_on_the_page_and_strangers_never_see_the_evidence(
    mycard, client, app, tokens
):
    sign_in(client, mycard.emails["ann"])
    done = _log_cpd(client, [("evidence", ("cert.pdf", PDF, "application/pdf"))])
    assert done.status_code == 303 and done.headers["location"] == "/my/cpd?done=1"
    page = client.get("/my/cpd?done=1")
    assert "Your activity was saved." in page.text and "Heat pump course" in page.text
    assert "7 of 30 hours" in page.text and "<svg" in page.text
    evidence_url = page.text.split('href="/evidence/')[1].split('"')[0]
    got = client.get(f"/evidence/{evidence_url}")
    assert got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"

    refused = _log_cpd(client, [("evidence", ("cert.pdf", EXE, "application/pdf"))], title="x")
    assert refused.status_code == 422 and "not a PDF, JPEG, PNG or HEIC" in refused.text
    assert 'href="#cpd-files"' in refused.text
    future = _log_cpd(client, [], activity_on="2999-01-01")
    assert future.status_code == 422 and "in the future" in future.text
    negative = _log_cpd(client, [], hours="-1")
    assert negative.status_code == 422 and "more than 0" in negative.text

    csv_text = client.get("/my/cpd/export.csv").text
    assert next(csv.DictReader(io.StringIO(csv_text)))["evidence"] == "cert.pdf"
    assert client.get("/my/cpd/export.pdf").content.startswith(b"%PDF")

    # Bob, CPCS's admin and the (unsampled) assessor get "not found", on the page and the API.
    for stranger in ("bob", "cpcs_admin", "assessor"):
        answer = client.get(f"/api/v1/evidence/{evidence_url}", headers=bearer(tokens[stranger]))
        assert answer.status_code == 404, stranger
    assert (
        client.get(f"/api/v1/evidence/{evidence_url}", headers=bearer(tokens["ecs_admin"])).content
        == PDF
    )


def test_apply_on_the_pages_and_the_admin_approves_in_the_queue(mycard, client, uow_factory):
    sign_in(client, mycard.emails["ann"])
    start = client.get("/my/apply")
    assert "Digital Support Technician" in start.text and "takes no payment" in start.text
    made = client.post(
        "/my/apply",
        data={
            "csrf_token": page_csrf(start.text),
            "scheme": "ECS",
            "occupation": "ELECTRICAL_LABOURER",
        },
        follow_redirects=False,
    )
    url = made.headers["location"]
    page = client.get(url)
    assert "Needs an HSE test pass" in page.text and "Send application" in page.text
    client.post(
        f"{url}/evidence",
        data={"csrf_token": page_csrf(page.text)},
        files=[("evidence", ("hse.png", b"\x89PNG\r\n\x1a\n" + b"0" * 50, "image/png"))],
    )
    sent = client.post(f"{url}/submit", data={"csrf_token": page_csrf(page.text)})
    assert "Your application was sent." in sent.text and "Received" in sent.text
    client.post("/logout", data={"csrf_token": page_csrf(sent.text)})

    sign_in(client, mycard.emails["cpcs_admin"])
    other = client.get("/admin/applications")
    assert "Ann" not in other.text
    app_id = url.rsplit("/", 1)[1]
    refused = client.post(
        f"/admin/applications/{app_id}/approve", data={"csrf_token": page_csrf(other.text)}
    )
    assert refused.status_code == 403 and "decide ECS applications" in refused.text
    client.post("/logout", data={"csrf_token": page_csrf(other.text)})

    sign_in(client, mycard.emails["ecs_admin"])
    queue = client.get("/admin/applications")
    assert "Ann Núñez-O&#39;Brien: Electrical Labourer" in queue.text and "hse.png" in queue.text
    # issue 19: rules unmet, approving is an override with a reason, not the main button
    assert "Not ready to approve" in queue.text and "Approve and issue card" not in queue.text
    assert "Approve although rules are not met" in queue.text
    assert queue.text.count("Message to the applicant") == 1
    not_yet = client.post(
        f"/admin/applications/{app_id}/approve",
        data={"csrf_token": page_csrf(queue.text)},
        follow_redirects=False,
    )
    assert not_yet.status_code == 303 and "problem=unmet" in not_yet.headers["location"]
    told = client.get(not_yet.headers["location"])
    assert told.status_code == 200 and "The rules are not met yet" in told.text
    client.post(
        f"/admin/cardholders/{mycard.holders['ann']}/hse",
        data={"csrf_token": page_csrf(queue.text), "passed_on": DAY},
    )
    ready = client.get("/admin/applications")
    assert "Approve and issue card" in ready.text and "Not ready to approve" not in ready.text
    approved = client.post(
        f"/admin/applications/{app_id}/approve",
        data={"csrf_token": page_csrf(queue.text)},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert "approved and the card issued" in client.get(approved.headers["location"]).text
    record = cardholders.cardholder_record(
        uow=uow_factory(), who=mycard.principals["ann"], cardholder_id=mycard.holders["ann"]
    )
    assert "ELECTRICAL_LABOURER" in [c.card_type_code for c in record.cards]


def test_api_eligibility_cpd_and_applications(mycard, client, tokens, uow_factory):
    ann_id = mycard.holders["ann"]
    ann = bearer(tokens["ann"])
    answer = client.get(
        f"/api/v1/cardholders/{ann_id}/eligibility",
        params={"scheme": "ECS", "occupation": "INSTALLATION_ELECTRICIAN"},
        headers=ann,
    )
    assert answer.status_code == 200 and answer.json()["eligible"] is False
    assert any("AM2" in r["text"] and not r["met"] for r in answer.json()["reasons"])
    hidden = client.get(
        f"/api/v1/cardholders/{ann_id}/eligibility",
        params={"scheme": "ECS", "occupation": "X"},
        headers=bearer(tokens["bob"]),
    )
    assert hidden.status_code == 404
    bad = client.post(
        f"/api/v1/cardholders/{ann_id}/cpd",
        headers=ann,
        json={"activity_on": DAY, "activity_type": "self_study", "title": "t", "hours": 30},
    )
    assert bad.status_code == 422 and "24" in bad.json()["error"]["message"]
    made = client.post(
        f"/api/v1/cardholders/{ann_id}/cpd",
        headers=ann,
        json={"activity_on": DAY, "activity_type": "self_study", "title": "t", "hours": 2.5},
    )
    assert made.status_code == 201
    log = client.get(f"/api/v1/cardholders/{ann_id}/cpd", headers=ann).json()
    assert log["hours"] == 2.5 and log["entries"][0]["status"] == "self_declared"

    app_id = client.post(
        "/api/v1/applications",
        headers=ann,
        json={"scheme": "ECS", "occupation": "ELECTRICAL_LABOURER"},
    ).json()["id"]
    assert client.post(f"/api/v1/applications/{app_id}/submit", headers=ann).status_code == 204
    add_hse_pass(uow_factory, ann_id)
    foreign = client.post(
        f"/api/v1/applications/{app_id}/decision",
        headers=bearer(tokens["cpcs_admin"]),
        json={"action": "approve"},
    )
    assert foreign.status_code == 403
    done = client.post(
        f"/api/v1/applications/{app_id}/decision",
        headers=bearer(tokens["ecs_admin"]),
        json={"action": "approve"},
    )
    assert done.status_code == 200 and done.json()["state"] == "card_issued"
    assert done.json()["card_number"].startswith("ECS")


def test_cli_rules_check_cpd_export_and_audit_sample(mycard, cli, tmp_path, uow_factory):
    ann_id = str(mycard.holders["ann"])
    code, out, _ = cli("rules", "check", ann_id, "INSTALLATION_ELECTRICIAN", "--json")
    assert code == 1 and json.loads(out)["eligible"] is False
    code, out, _ = cli("rules", "check", ann_id, "ELECTRICAL_LABOURER")
    assert code == 1 and "needs an HSE test pass" in out
    code, _, err = cli("rules", "hse-pass", ann_id, "--passed-on", "2999-01-01")
    assert code == 2 and "in the future" in err
    code, out, _ = cli("rules", "hse-pass", ann_id, "--passed-on", DAY)
    assert code == 0 and "Recorded an HSE pass" in out
    code, out, _ = cli("rules", "check", ann_id, "ELECTRICAL_LABOURER")
    assert code == 0 and "eligible" in out
    code, out, _ = cli("rules", "reevaluate", "ELECTRICAL_LABOURER", "--json")
    assert code == 0 and json.loads(out)["holders"] == 2 and json.loads(out)["eligible"] == 1
    code, _, err = cli("rules", "check", ann_id, "ASTRONAUT")
    assert code == 2 and "no eligibility rule" in err
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "x.toml").write_text('scheme = "ECS"\n[occupations.PQP]\nall_of = ["AM3"]\n')
    code, _, err = cli("rules", "lint", "--rules-dir", str(broken))
    assert code == 2 and "x.toml, line 3: unknown qualification 'AM3'" in err
    code, out, _ = cli("rules", "lint")
    assert code == 0 and "13 rules read" in out

    target = tmp_path / "ann.csv"
    code, out, _ = cli("cpd", "export", ann_id, "-o", str(target))
    assert code == 0 and target.read_text().startswith("date,type,title")
    code, out, _ = cli("cpd", "export", ann_id, "-o", str(tmp_path / "ann.pdf"))
    assert code == 0 and (tmp_path / "ann.pdf").read_bytes().startswith(b"%PDF")
    code, out, _ = cli(
        "cpd",
        "audit",
        "sample",
        "--scheme",
        "ECS",
        "--year",
        "2026",
        "--share",
        "50",
        "--seed",
        "5",
        "--json",
    )
    assert (
        code == 0 and json.loads(out)["seed"] == 5 and len(json.loads(out)["cardholder_ids"]) == 1
    )
    code, _, err = cli("cpd", "audit", "sample", "--scheme", "ECS", "--year", "2026")
    assert code == 2 and "already been sampled" in err


def test_qualification_and_membership_pages(mycard, client):
    sign_in(client, mycard.emails["ann"])
    page = client.get("/my/qualifications")
    assert "Level 3 NVQ Diploma in Electrotechnical Services" in page.text
    csrf = page_csrf(page.text)
    added = client.post(
        "/my/qualifications",
        data={"csrf_token": csrf, "code": "AM2", "achieved_on": "2019-05-01"},
        files=[("certificate", ("am2.pdf", PDF, "application/pdf"))],
        follow_redirects=False,
    )
    assert added.status_code == 303
    record = client.get("/my").text
    assert "AM2 assessment" in record and "Declared by you" in record
    nothing = client.post(
        "/my/qualifications", data={"csrf_token": csrf, "code": "AM2", "achieved_on": "2019-05-01"}
    )
    assert nothing.status_code == 422 and "certificate number, or upload" in nothing.text
    wrong = client.post(
        "/my/memberships",
        data={"csrf_token": csrf, "institute": "IET", "number": "123", "grade": "Member"},
    )
    assert wrong.status_code == 422 and "is not a IET membership number" in wrong.text
    right = client.post(
        "/my/memberships",
        data={"csrf_token": csrf, "institute": "IET", "number": "IET7654321", "grade": "Member"},
        follow_redirects=False,
    )
    assert right.status_code == 303 and "IET7654321" in client.get("/my").text
    client.post("/logout", data={"csrf_token": csrf})

    sign_in(client, mycard.emails["ecs_admin"])
    queue = client.get("/admin/applications")
    assert "IET IET7654321, Member" in queue.text
    membership = queue.text.split("/admin/memberships/")[1].split("/")[0]
    csrf = page_csrf(queue.text)
    client.post(f"/admin/memberships/{membership}/verify", data={"csrf_token": csrf})
    lapsed = client.post(
        f"/admin/memberships/{membership}/lapse", data={"csrf_token": csrf, "lapsed_on": DAY}
    )
    assert lapsed.status_code == 200 and "recorded as lapsed" in lapsed.text
    assert "No verified memberships." in lapsed.text
    # issue 19: every POST of the queue redirects, a problem named by a fixed code
    bad = client.post(
        f"/admin/memberships/{membership}/lapse",
        data={"csrf_token": csrf, "lapsed_on": "last week"},
        follow_redirects=False,
    )
    assert bad.status_code == 303 and bad.headers["location"].endswith("problem=lapse_date")
    assert "Enter the date the membership lapsed" in client.get(bad.headers["location"]).text
    forged = client.get("/admin/applications?problem=%3Cb%3Eyou+are+hacked&app=1x")
    assert forged.status_code == 200 and "There is a problem" not in forged.text


def test_api_declarations_reviews_evidence_and_the_audit(mycard, client, tokens):
    ann, admin, assessor = (bearer(tokens[k]) for k in ("ann", "ecs_admin", "assessor"))
    wrong = client.post(
        "/api/v1/memberships",
        headers=ann,
        json={"institute": "IET", "number": "42", "grade": "Member"},
    )
    assert wrong.status_code == 422 and "IET membership number" in wrong.json()["error"]["message"]
    member = client.post(
        "/api/v1/memberships",
        headers=ann,
        json={"institute": "IET", "number": "IET1112223", "grade": "Member"},
    )
    assert member.status_code == 201
    mid = member.json()["id"]
    assert (
        client.post(
            f"/api/v1/memberships/{mid}/verify", headers=bearer(tokens["cpcs_admin"])
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/memberships/{mid}/verify", headers=admin).status_code == 204
    lapsed = client.post(f"/api/v1/memberships/{mid}/lapse", headers=admin, json={"lapsed_on": DAY})
    assert lapsed.json() == {"suspendable_cards": []}

    claim = client.post(
        "/api/v1/qualification-claims",
        headers=ann,
        json={"qualification": "AM2", "achieved_on": "2018-04-01", "certificate_number": "AM2-1"},
    ).json()["id"]
    refused = client.post(
        f"/api/v1/qualification-claims/{claim}/review", headers=admin, json={"verified": False}
    )
    assert refused.status_code == 422
    assert (
        client.post(
            f"/api/v1/qualification-claims/{claim}/review",
            headers=admin,
            json={"verified": False, "reason": "Not on the register"},
        ).status_code
        == 204
    )

    entry = client.post(
        f"/api/v1/cardholders/{mycard.holders['ann']}/cpd",
        headers=ann,
        json={
            "activity_on": DAY,
            "activity_type": "event_or_webinar",
            "title": "Webinar",
            "hours": 1,
        },
    ).json()["id"]
    upload = [("files", ("slides.pdf", PDF, "application/pdf"))]
    assert (
        client.post(
            f"/api/v1/cpd/{entry}/evidence", headers=bearer(tokens["bob"]), files=upload
        ).status_code
        == 404
    )
    bad = client.post(
        f"/api/v1/cpd/{entry}/evidence",
        headers=ann,
        files=[("files", ("slides.pdf", EXE, "application/pdf"))],
    )
    assert bad.status_code == 422
    assert client.post(f"/api/v1/cpd/{entry}/evidence", headers=ann, files=upload).json() == {
        "added": 1
    }

    assert client.get("/api/v1/cpd-audits/cases", headers=assessor).json() == []
    drawn = client.post(
        "/api/v1/cpd-audits",
        headers=admin,
        json={"scheme": "ECS", "year": 2026, "share_percent": 100, "seed": 9},
    )
    assert drawn.status_code == 201 and drawn.json()["population"] == 2
    cases = client.get("/api/v1/cpd-audits/cases", headers=assessor).json()
    ann_case = next(c for c in cases if c["cardholder_id"] == mycard.holders["ann"])
    asked = client.post(
        f"/api/v1/cpd-audits/cases/{ann_case['id']}/review",
        headers=assessor,
        json={"accept": False, "message": "Add the slides' last page"},
    )
    assert asked.status_code == 204
    answered = client.post(
        f"/api/v1/cpd-audits/cases/{ann_case['id']}/answer", headers=ann, json={"text": "Done"}
    )
    assert answered.status_code == 204
    mine = client.get("/api/v1/cpd-audits/cases", headers=ann).json()
    assert [(c["state"], c["answer"]) for c in mine] == [("answered", "Done")]
