"""The HSE assessment's pages over HTTP, candidate and invigilator (issue 5)."""

from __future__ import annotations

import re

import pytest

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.photos import drawn_portrait
from skillcard.services.hse import hse_bank
from tests.e2e.conftest import page_csrf, sign_in
from tests.factories import OPERATOR


@pytest.fixture
def bank(registry, uow_factory):
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    return registry


def start_attempt(client, registry) -> tuple[int, str]:
    sign_in(client, registry.emails["ann"])
    home = client.get("/hse")
    assert home.status_code == 200 and "43 right to pass" in home.text
    made = client.post(
        "/hse/attempts", data={"csrf_token": page_csrf(home.text)}, follow_redirects=False
    )
    attempt_id = int(made.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/hse/attempts/{attempt_id}")
    assert "Check it is you" in page.text
    csrf = page_csrf_of_script(page.text)
    return attempt_id, csrf


def page_csrf_of_script(html: str) -> str:
    return re.search(r'data-csrf="([^"]+)"', html).group(1)


def test_a_candidate_sits_and_an_invigilator_verifies_over_http(client, bank, app):
    attempt_id, csrf = start_attempt(client, bank)
    url = f"/hse/attempts/{attempt_id}"
    refused = client.post(
        f"{url}/id-check",
        headers={"X-CSRF-Token": csrf},
        files={
            "face": ("f.jpg", drawn_portrait("Ann"), "image/jpeg"),
            "id_document": ("id.pdf", b"%PDF-1.7", "application/pdf"),
        },
    )
    assert refused.status_code == 422 and "photo of your ID" in refused.json()["error"]["message"]
    no_csrf = client.post(f"{url}/id-check", files={"face": ("f.png", drawn_portrait("Ann"))})
    assert no_csrf.status_code == 403
    ok = client.post(
        f"{url}/id-check",
        headers={"X-CSRF-Token": csrf},
        files={
            "face": ("f.png", drawn_portrait("Ann"), "image/png"),
            "id_document": ("id.png", drawn_portrait("Ann passport"), "image/png"),
        },
    )
    assert ok.status_code == 200, ok.text
    ready = client.get(url)
    assert "Ready to start" in ready.text and "30 minutes" in ready.text
    client.post(f"{url}/start", data={"csrf_token": csrf})
    test_page = client.get(url)
    assert test_page.status_code == 200 and test_page.headers["cache-control"] == "no-store"
    assert test_page.text.count('class="hse-question"') == 50
    for item in demo_items():  # no key or explanation reaches the browser
        assert item.explanation not in test_page.text
    items = [int(i) for i in re.findall(r'data-item="(\d+)"', test_page.text)]
    saved = client.post(
        f"{url}/answer",
        json={"item_id": items[0], "choice": 2, "seq": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert saved.status_code == 200 and 0 < saved.json()["seconds_left"] <= 1800
    replay = client.post(
        f"{url}/answer",
        json={"item_id": items[0], "choice": 1, "seq": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert replay.status_code == 409 and "replay" in replay.json()["error"]["message"]
    beyond = client.post(  # an id no attempt can have: refused before the database is asked
        f"/hse/attempts/{2**31}/answer",
        json={"item_id": items[0], "choice": 1, "seq": 2},
        headers={"X-CSRF-Token": csrf},
    )
    assert beyond.status_code == 422
    again = client.get(url)
    assert re.search(rf'name="q-{items[0]}" value="2" checked', again.text)
    event = client.post(
        f"{url}/events", json={"kind": "tab_hidden"}, headers={"X-CSRF-Token": csrf}
    )
    assert event.json() == {"ended": False}
    snap = client.post(
        f"{url}/snapshots",
        headers={"X-CSRF-Token": csrf},
        files={"snapshot": ("s.jpg", b"GIF89a not allowed", "image/gif")},
    )
    assert snap.status_code == 422
    client.post(f"{url}/submit", data={"csrf_token": csrf})
    assert "Your answers are in" in client.get(url).text

    client.cookies.clear()
    sign_in(client, bank.emails["invigilator"])
    queue = client.get("/invigilation")
    assert f"/invigilation/attempts/{attempt_id}" in queue.text and "1 flag" in queue.text
    detail = client.get(f"/invigilation/attempts/{attempt_id}")
    assert "left the test" in detail.text and "Photo ID" in detail.text
    photo = re.search(rf"/invigilation/files/{attempt_id}/[0-9a-f]{{64}}", detail.text).group(0)
    assert client.get(photo).headers["content-type"] == "image/jpeg"
    no_reason = client.post(
        f"/invigilation/attempts/{attempt_id}/decision",
        data={"csrf_token": page_csrf(detail.text), "decision": "reject"},
    )
    assert no_reason.status_code == 422 and "say why" in no_reason.text.lower()
    client.post(
        f"/invigilation/attempts/{attempt_id}/decision",
        data={"csrf_token": page_csrf(detail.text), "decision": "verify"},
    )
    client.cookies.clear()
    sign_in(client, bank.emails["bob"])  # another candidate sees nothing of Ann's attempt
    assert client.get(url).status_code == 404
    assert client.get(photo).status_code == 404
    client.cookies.clear()
    sign_in(client, bank.emails["ann"])
    summary = client.get("/hse/summary")
    assert "You did not pass" in summary.text
    assert re.search(r"<strong>[01] of 50</strong>", summary.text)
    assert "topics to work on" in summary.text
    assert 'hx-get="/hse/summary"' in client.get("/my").text
