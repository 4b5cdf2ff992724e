"""The HSE API with bearer tokens (issue 5): a candidate's attempt, hostile answers, review."""

from __future__ import annotations

import datetime as dt
import threading
import time

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.photos import drawn_portrait
from skillcard.services.hse import hse_bank
from skillcard.web.api import hse as hse_api
from tests.e2e.conftest import bearer
from tests.factories import OPERATOR


def test_an_attempt_over_the_api_never_shows_a_key(client, tokens, registry, uow_factory):
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    ann, bob = bearer(tokens["ann"]), bearer(tokens["bob"])
    assert (
        client.post("/api/v1/hse/attempts", headers=bearer(tokens["ecs_admin"])).status_code == 403
    )
    made = client.post("/api/v1/hse/attempts", headers=ann)
    assert made.status_code == 201
    url = f"/api/v1/hse/attempts/{made.json()['id']}"
    assert client.post("/api/v1/hse/attempts", headers=ann).json() == made.json()  # resumes
    photos = {
        "face": ("f.png", drawn_portrait("Ann"), "image/png"),
        "id_document": ("d.png", drawn_portrait("Ann ID"), "image/png"),
    }
    assert client.post(f"{url}/id-check", headers=ann, files=photos).status_code == 204
    assert client.post(f"{url}/start", headers=ann).status_code == 204
    view = client.get(url, headers=ann).json()
    assert len(view["questions"]) == 50 and view["seconds_left"] > 1790
    assert "key" not in view["questions"][0] and "explanation" not in str(view)
    assert client.get(url, headers=bob).status_code == 404
    first = view["questions"][0]["item_id"]
    put = client.put(f"{url}/answer", headers=ann, json={"item_id": first, "choice": 3, "seq": 1})
    assert put.status_code == 200 and put.json()["seq"] == 1
    checks = [
        (bob, {"item_id": first, "choice": 1, "seq": 2}, 404),
        (ann, {"item_id": first, "choice": 1, "seq": 1}, 409),
        (ann, {"item_id": 10**9, "choice": 1, "seq": 3}, 422),
        (ann, {"item_id": first, "choice": 9, "seq": 4}, 422),
    ]
    for who, body, status in checks:
        answer = client.put(f"{url}/answer", headers=who, json=body)
        assert answer.status_code == status and answer.json()["error"]["message"]
    assert client.get(url, headers=ann).json()["questions"][0]["chosen"] == 3
    huge = client.post(
        f"{url}/snapshots",
        headers=ann,
        files={"snapshot": ("s.jpg", b"\xff\xd8" + b"0" * 3_000_000)},
    )
    assert huge.status_code == 422 and "larger than 2 MB" in huge.json()["error"]["message"]
    assert client.post(f"{url}/submit", headers=ann).json() == {"state": "submitted"}
    queue = client.get("/api/v1/hse/review", headers=bearer(tokens["invigilator"])).json()
    assert [a["id"] for a in queue["attempts"]] == [made.json()["id"]]
    decided = client.post(
        f"/api/v1/hse/review/{made.json()['id']}/decision",
        headers=bearer(tokens["invigilator"]),
        json={"decision": "reject", "reason": "another person in the room"},
    )
    assert decided.json() == {"state": "rejected"}
    assert client.get("/api/v1/hse/results/me", headers=ann).json()["result"] is None
    exported = client.get("/api/v1/hse/bank.zip", headers=bearer(tokens["hub"]))
    assert exported.headers["content-type"] == "application/zip"
    again = client.post(
        "/api/v1/hse/bank",
        headers=bearer(tokens["hub"]),
        files={"package": ("b.zip", exported.content, "application/zip")},
    )
    assert again.json()["unchanged"] == len(demo_items())


def test_an_answer_after_the_deadline_is_refused_and_the_attempt_handed_in(
    client, tokens, registry, uow_factory
):
    """On PostgreSQL an answer is saved on the event loop; one that must first end the
    attempt is handed to the threaded save (web/api/hse.py): the candidate sees no seam."""
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    ann = bearer(tokens["ann"])
    attempt_id = client.post("/api/v1/hse/attempts", headers=ann).json()["id"]
    url = f"/api/v1/hse/attempts/{attempt_id}"
    photos = {
        "face": ("f.png", drawn_portrait("Ann"), "image/png"),
        "id_document": ("d.png", drawn_portrait("Ann ID"), "image/png"),
    }
    client.post(f"{url}/id-check", headers=ann, files=photos)
    client.post(f"{url}/start", headers=ann)
    item = client.get(url, headers=ann).json()["questions"][0]["item_id"]
    body = {"item_id": item, "choice": 1, "seq": 1}
    assert client.put(f"{url}/answer", headers=ann, json=body).status_code == 200
    with uow_factory() as uow:  # the clock runs out
        attempt = uow.hse_attempts.get(attempt_id)
        attempt.deadline = attempt.started_at - dt.timedelta(minutes=1)
        uow.commit()
    late = client.put(f"{url}/answer", headers=ann, json={**body, "seq": 2, "choice": 2})
    assert late.status_code == 409 and "time for this attempt is up" in late.text
    view = client.get(url, headers=ann).json()
    assert view["state"] == "timed_out" and view["answer_seq"] == 1
    again = client.put(f"{url}/answer", headers=ann, json={**body, "seq": 3})
    assert again.status_code == 409 and "not in progress" in again.text


def test_a_hostile_answer_gets_a_clear_4xx_and_the_route_is_documented(client, tokens):
    """The answer reads its own path, token and body (it is a lane: web/lanes.py), with the
    answers FastAPI's parameters gave."""
    ann, url = bearer(tokens["ann"]), "/api/v1/hse/attempts/{}/answer"
    body = {"item_id": 1, "choice": 0, "seq": 1}
    refused = [
        (client.put(url.format(1), json=body), 401, "API token"),
        (client.put(url.format("one"), headers=ann, json=body), 422, "attempt_id"),
        (client.put(url.format(2**31), headers=ann, json=body), 422, "attempt_id"),
        (client.put(url.format(1), headers=ann, content=b"{not json"), 422, "JSON"),
        (client.put(url.format(1), headers=ann, json={**body, "seq": 0}), 422, "seq"),
        (client.put(url.format(1), headers=ann, json={"seq": 1}), 422, "item_id"),
        (client.put(url.format(1), headers=ann, json={**body, "x": "a" * 5000}), 413, "4096"),
        (client.put(url.format(10**6), headers=ann, json=body), 404, "no attempt"),
    ]
    for answer, status, said in refused:
        assert (answer.status_code, said in answer.json()["error"]["message"]) == (status, True)
    documented = client.get("/openapi.json").json()["paths"][url.format("{attempt_id}")]["put"]
    assert [p["name"] for p in documented["parameters"]] == ["attempt_id"]
    schema = documented["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"item_id", "choice", "seq"}
    assert "SavedOut" in str(documented["responses"]["200"])


def test_adjustments_and_conflicts_over_the_api(client, tokens, registry, uow_factory):
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    ann_id = registry.holders["ann"]
    body = {"cardholder_id": ann_id, "extra_minutes": 25, "reader": True}
    refused = client.put("/api/v1/hse/adjustments", headers=bearer(tokens["cpcs_admin"]), json=body)
    assert refused.status_code == 404  # Ann holds no CPCS card
    granted = client.put("/api/v1/hse/adjustments", headers=bearer(tokens["ecs_admin"]), json=body)
    assert (
        granted.status_code == 200 and granted.json()["granted_by"] == registry.emails["ecs_admin"]
    )
    too_long = client.put(
        "/api/v1/hse/adjustments",
        headers=bearer(tokens["ecs_admin"]),
        json={**body, "extra_minutes": 90},
    )
    assert too_long.status_code == 422
    made = client.post("/api/v1/hse/attempts", headers=bearer(tokens["ann"])).json()
    view = client.get(f"/api/v1/hse/attempts/{made['id']}", headers=bearer(tokens["ann"])).json()
    assert view["minutes"] == 55
    declared = client.post(
        "/api/v1/hse/conflicts",
        headers=bearer(tokens["invigilator"]),
        json={"cardholder_id": ann_id, "relationship": "my cousin"},
    )
    assert declared.status_code == 201
    again = client.post(
        "/api/v1/hse/conflicts",
        headers=bearer(tokens["invigilator"]),
        json={"cardholder_id": ann_id, "relationship": "my cousin"},
    )
    assert again.status_code == 409


def test_snapshots_waiting_for_the_face_detector_leave_the_answers_a_thread(
    client, tokens, registry, uow_factory, monkeypatch
):
    """More snapshots than the server has pool threads, all stuck in face detection: an
    answer is still saved (snapshots wait for threads of their own, web/snapshot_threads.py)."""
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    ann = bearer(tokens["ann"])
    url = f"/api/v1/hse/attempts/{client.post('/api/v1/hse/attempts', headers=ann).json()['id']}"
    photos = {
        "face": ("f.png", drawn_portrait("Ann")),
        "id_document": ("d.png", drawn_portrait("I")),
    }
    client.post(f"{url}/id-check", headers=ann, files=photos)
    assert client.post(f"{url}/start", headers=ann).status_code == 204
    item = client.get(url, headers=ann).json()["questions"][0]["item_id"]
    entered, release = [], threading.Event()

    def stuck_detector(jpeg: bytes) -> int:
        entered.append(1)
        release.wait(120)
        return 1

    monkeypatch.setattr(hse_api, "count_faces_at_low_priority", stuck_detector)
    frame = {"snapshot": ("s.png", drawn_portrait("Ann now"), "image/png")}
    shots: list[int] = []

    def snapshot() -> None:
        shots.append(client.post(f"{url}/snapshots", headers=ann, files=frame).status_code)

    senders = [threading.Thread(target=snapshot) for _ in range(50)]  # the pool has 40
    saved: list[int] = []
    answer = threading.Thread(
        target=lambda: saved.append(
            client.put(
                f"{url}/answer", headers=ann, json={"item_id": item, "choice": 1, "seq": 1}
            ).status_code
        )
    )
    try:
        for sender in senders:
            sender.start()
        while not entered:
            time.sleep(0.05)
        time.sleep(1)  # the other snapshots arrive and queue
        answer.start()
        answer.join(timeout=60)
        assert saved == [200], "the answer waited behind the snapshots"
    finally:
        release.set()
        for sender in senders:
            sender.join(timeout=60)
    assert shots == [200] * 50
