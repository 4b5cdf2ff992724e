"""Revocation by provenance over HTTP and the CLI (issue 17 item 4), on both databases."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.integration.test_provenance import CENTRE, _issue

URL = "/api/v1/schemes/ECS/revocations"


@pytest.fixture
def centre_cards(registry, uow_factory):
    return [_issue(uow_factory, registry, key, "ECS", [CENTRE]) for key in ("dee", "eve")]


def test_a_card_issued_through_the_api_records_its_test_centre(client, tokens, registry):
    answer = client.post(
        "/api/v1/cards",
        headers=bearer(tokens["ecs_admin"]),
        json={
            "cardholder_id": registry.holders["bob"],
            "scheme": "ECS",
            "card_type": "TRAINEE",
            "sources": [{"kind": "test_centre", "reference": "tc-0042", "name": "Northgate"}],
        },
    )
    assert answer.status_code == 201, answer.text
    number = answer.json()["number"]
    sources = client.get(f"/api/v1/cards/{number}/sources", headers=bearer(tokens["ecs_admin"]))
    assert sources.json() == [{"kind": "test_centre", "reference": "TC-0042", "name": "Northgate"}]
    other = client.get(f"/api/v1/cards/{number}/sources", headers=bearer(tokens["cpcs_admin"]))
    assert other.status_code == 404


def test_preview_then_revoke_over_the_api(client, tokens, centre_cards):
    admin = bearer(tokens["ecs_admin"])
    asked = {"kind": "test_centre", "reference": "TC-0042"}
    seen = client.post(f"{URL}/preview", headers=admin, json=asked)
    assert seen.status_code == 200, seen.text
    assert seen.json()["count"] == 2
    assert sorted(c["number"] for c in seen.json()["sample"]) == sorted(centre_cards)
    done = client.post(URL, headers=admin, json={**asked, "reason": "fraudulent centre"})
    assert done.status_code == 200, done.text
    assert (done.json()["revoked"], done.json()["holders_told"]) == (2, 2)
    card = client.get(f"/api/v1/cards/{centre_cards[0]}", headers=admin).json()
    assert (card["status"], card["status_reason"]) == ("revoked", "fraudulent centre")


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("cpcs_admin", {"kind": "test_centre", "reference": "TC-0042", "reason": "x"}, 403, None),
        ("ann", {"kind": "test_centre", "reference": "TC-0042", "reason": "x"}, 403, None),
        ("ecs_admin", {"kind": "exam_hall", "reference": "TC-0042", "reason": "x"}, 422, None),
        ("ecs_admin", {"kind": "test_centre", "reference": "TC-0042", "reason": " "}, 422, None),
        ("ecs_admin", {"kind": "test_centre", "reference": "", "reason": "x"}, 422, None),
    ],
)
def test_revocation_refuses_the_wrong_people_and_bad_input(
    client, tokens, centre_cards, who, body, status, code
):
    answer = client.post(URL, headers=bearer(tokens[who]), json=body)
    assert answer.status_code == status, answer.text
    assert set(answer.json()["error"]) == {"code", "message"}
    card = client.get(f"/api/v1/cards/{centre_cards[0]}", headers=bearer(tokens["ecs_admin"]))
    assert card.json()["status"] == "active"


def test_no_token_no_revocation(client, centre_cards):
    assert (
        client.post(URL, json={"kind": "test_centre", "reference": "X", "reason": "x"}).status_code
        == 401
    )


def test_the_admin_page_previews_then_revokes(client, registry, centre_cards):
    sign_in(client, registry.emails["ecs_admin"])
    form = client.get("/admin/revocations")
    assert form.status_code == 200 and "Revoke cards by their source" in form.text
    preview = client.get(
        "/admin/revocations/preview",
        params={"scheme": "ECS", "kind": "test_centre", "ref": "TC-0042"},
    )
    assert preview.status_code == 200 and "Revoke 2 cards?" in preview.text
    assert "Dee Fraud" in preview.text
    csrf = page_csrf(preview.text)
    empty = {"csrf_token": csrf, "scheme": "ECS", "kind": "test_centre", "ref": "TC-0042"}
    refused = client.post("/admin/revocations", data={**empty, "reason": ""})
    assert refused.status_code == 422 and "reason is required" in refused.text
    done = client.post("/admin/revocations", data={**empty, "reason": "fraud at the centre"})
    assert done.status_code == 200 and "2 cards revoked" in done.text
    card = client.get(f"/admin/cards/{centre_cards[0]}")
    assert "Where this card came from" in card.text and "TC-0042" in card.text


def test_the_cli_dry_run_changes_nothing_then_revokes(cli, centre_cards):
    args = ["card", "revoke-by-source", "ECS", "--kind", "test_centre", "--ref", "TC-0042"]
    code, out, _ = cli(*args, "--dry-run", "--json")
    assert code == 0 and json.loads(out)["count"] == 2
    code, out, _ = cli(*args, "--reason", "fraud", "--json")
    assert code == 0 and json.loads(out)["revoked"] == 2
    code, out, _ = cli(*args, "--reason", "fraud", "--json")
    assert code == 0 and json.loads(out)["revoked"] == 0
    code, _, err = cli(
        "card", "revoke-by-source", "ECS", "--kind", "exam_hall", "--ref", "X", "--reason", "x"
    )
    assert code == 2 and "test_centre" in err


def test_the_cli_issues_a_card_with_its_test_centre_and_shows_it(cli, registry):
    code, out, _ = cli(
        "card", "issue", "--cardholder", str(registry.holders["bob"]), "--scheme", "ECS",
        "--card-type", "TRAINEE", "--test-centre", "tc-0042", "--json",
    )  # fmt: skip
    assert code == 0
    number = json.loads(out)["number"]
    code, out, _ = cli("card", "sources", number, "--json")
    assert code == 0
    assert json.loads(out) == {
        "sources": [{"kind": "test_centre", "reference": "TC-0042", "name": ""}]
    }
    code, _, err = cli(
        "card", "issue", "--cardholder", str(registry.holders["bob"]), "--scheme", "ECS",
        "--card-type", "TRAINEE", "--test-centre", "TC<0042>",
    )  # fmt: skip
    assert code == 2 and "reference" in err
