"""QR checks logged over HTTP, offline checks synced through the API (issue 3, item 7), and
the photo in a check's answer (item 5), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.adapters.qr import qr_png
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import credentials
from skillcard.services.registry import photos
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.factories import OPERATOR


def logged(uow_factory):
    with uow_factory() as uow:
        return list(uow.session.execute(sa.select(tables.checks).order_by(tables.checks.c.id)))


def card_id(uow_factory, number: str) -> int:
    with uow_factory() as uow:
        return uow.cards.by_number(uow.schemes.by_code(number[:3]).id, number).id


def test_qr_upload_paste_and_the_verify_api_each_log_a_qr_online_check(
    client, registry, uow_factory
):
    number = registry.cards["ann"]
    text = credentials.printed_credential(uow=uow_factory(), number=number)
    upload = client.post("/check/qr", files={"image": ("c.png", qr_png(text), "image/png")})
    assert upload.status_code == 200 and "check-green" in upload.text
    assert client.post("/check/qr", data={"qr_text": text}).status_code == 200
    api = client.post("/api/v1/verify", json={"qr": text})
    assert api.status_code == 200 and api.json()["outcome"] == "valid"
    rows = logged(uow_factory)
    assert [(r.method, r.outcome, r.card_id) for r in rows] == [
        ("qr_online", "valid", card_id(uow_factory, number))
    ] * 3
    assert all(r.client_key and r.checker_user_id is None for r in rows)


def test_a_tampered_qr_is_logged_against_no_card(client, registry, uow_factory, tokens):
    text = credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    tampered = text[:-6] + "AAAAAA"
    assert "check-red" in client.post("/check/qr", data={"qr_text": tampered}).text
    answer = client.post(
        "/api/v1/verify", json={"qr": "SC1:not base45"}, headers=bearer(tokens["biz_checker"])
    )
    assert answer.json()["outcome"] == "malformed"
    rows = logged(uow_factory)
    assert [(r.method, r.card_id) for r in rows] == [("qr_online", None)] * 2
    assert rows[0].outcome in {"bad_signature", "malformed"} and rows[1].outcome == "malformed"
    assert rows[1].checker_user_id == registry.principals["biz_checker"].user_id


def test_offline_checks_sync_with_the_servers_outcome_and_per_item_refusals(
    client, registry, uow_factory, tokens
):
    number = registry.cards["ann"]
    now = utcnow().replace(microsecond=0)
    text = credentials.printed_credential(
        uow=uow_factory(), number=number, now=now - dt.timedelta(minutes=30)
    )
    at = now - dt.timedelta(minutes=20)
    items = [
        {"qr": text, "checked_at": at.isoformat(), "outcome": "revoked", "site": "Site B"},
        {"qr": text, "checked_at": (now + dt.timedelta(hours=1)).isoformat()},
        {"qr": text, "checked_at": (now - dt.timedelta(days=40)).isoformat()},
        {"qr": text[:-6] + "AAAAAA", "checked_at": at.isoformat(), "outcome": "valid"},
    ]
    answer = client.post("/api/v1/checks/offline", json=items, headers=bearer(tokens["biz_admin"]))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["stored"], body["refused"]) == (2, 2)
    first, future, old, forged = body["results"]
    assert (first["stored"], first["outcome"], first["agrees"]) == (True, "valid", False)
    assert not future["stored"] and "future" in future["error"]
    assert not old["stored"] and "30 days" in old["error"]
    assert forged["stored"] and forged["outcome"] in {"bad_signature", "malformed"}
    rows = [r for r in logged(uow_factory) if r.method == "qr_offline"]
    assert [(r.card_id, r.outcome) for r in rows] == [
        (card_id(uow_factory, number), "valid"),
        (None, forged["outcome"]),
    ]
    stored_at = rows[0].checked_at.replace(tzinfo=dt.UTC)
    assert stored_at == at and rows[0].site == "Site B" and rows[0].synced_at is not None
    # the holder sees it in their record
    page_ann = _signed_in_page(client, registry, "ann", "/my")
    assert "by its QR code, offline" in page_ann and "Site B" in page_ann


def _signed_in_page(client, registry, user, path):
    sign_in(client, registry.emails[user])
    return client.get(path).text


def test_offline_sync_refuses_anonymous_callers_and_large_batches(client, registry, tokens):
    item = {"qr": "SC1:x", "checked_at": utcnow().isoformat()}
    assert client.post("/api/v1/checks/offline", json=[item]).status_code == 401
    cardholder = client.post("/api/v1/checks/offline", json=[item], headers=bearer(tokens["ann"]))
    assert cardholder.status_code == 403
    too_many = client.post(
        "/api/v1/checks/offline", json=[item] * 501, headers=bearer(tokens["hub"])
    )
    assert too_many.status_code == 422


def _give_photo(uow_factory, files_dir, holder_id) -> str:
    return photos.set_photo(
        uow=uow_factory(),
        store=PhotoStore(files_dir),
        who=OPERATOR,
        cardholder_id=holder_id,
        data=drawn_portrait("Ann"),
    )


def test_the_check_answer_links_the_holders_photo_for_anyone_for_a_while(
    client, registry, uow_factory, files_dir, monkeypatch
):
    number = registry.cards["ann"]
    digest = _give_photo(uow_factory, files_dir, registry.holders["ann"])
    answer = client.get("/api/v1/check", params={"number": number, "surname": "nunez obrien"})
    url = answer.json()["photo_url"]
    assert url.startswith(f"/photos/{digest}?t=")
    photo = client.get(url)  # nobody signed in
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.content.startswith(b"\xff\xd8")
    token = url.split("?t=")[1]
    other = _give_photo_of_bob(uow_factory, files_dir, registry)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (f"/photos/{digest}?t={tampered}", f"/photos/{other}?t={token}"):
        assert client.get(bad, follow_redirects=False).status_code == 404, bad
    later = utcnow() + dt.timedelta(minutes=11)
    monkeypatch.setattr("skillcard.services.registry.photos.utcnow", lambda: later)
    assert client.get(url, follow_redirects=False).status_code == 404
    # no photo, no link
    bob = client.get("/api/v1/check", params={"number": registry.cards["cy"], "surname": "jones"})
    assert bob.json()["photo_url"] is None
    no_match = client.get("/api/v1/check", params={"number": number, "surname": "smith"})
    assert no_match.json()["photo_url"] is None


def _give_photo_of_bob(uow_factory, files_dir, registry) -> str:
    return photos.set_photo(
        uow=uow_factory(),
        store=PhotoStore(files_dir),
        who=OPERATOR,
        cardholder_id=registry.holders["bob"],
        data=drawn_portrait("Bob Other"),
    )


def test_the_number_and_qr_answers_show_the_photo_large(client, registry, uow_factory, files_dir):
    number = registry.cards["ann"]
    digest = _give_photo(uow_factory, files_dir, registry.holders["ann"])
    page = client.post("/check", data={"number": number, "surname": "Núñez-O'Brien"})
    assert 'class="check-photo"' in page.text and f'src="/photos/{digest}?t=' in page.text
    assert "Photo of Ann Núñez-O&#39;Brien held by the scheme" in page.text
    text = credentials.printed_credential(uow=uow_factory(), number=number)
    qr_page = client.post("/check/qr", data={"qr_text": text})
    assert f'src="/photos/{digest}?t=' in qr_page.text
    src = qr_page.text.split(f'src="/photos/{digest}?t=')[1].split('"')[0]
    assert client.get(f"/photos/{digest}?t={src}").status_code == 200


def test_the_check_page_sends_its_offline_queue_with_the_session(client, registry, uow_factory):
    number = registry.cards["ann"]
    now = utcnow().replace(microsecond=0)
    text = credentials.printed_credential(
        uow=uow_factory(), number=number, now=now - dt.timedelta(minutes=30)
    )
    item = {"qr": text, "checked_at": (now - dt.timedelta(minutes=5)).isoformat()}
    signed_out = client.post("/check/offline", json=[item], follow_redirects=False)
    assert signed_out.status_code in (303, 401)
    sign_in(client, registry.emails["biz_checker"])
    csrf = page_csrf(client.get("/check").text)
    assert client.post("/check/offline", json=[item]).status_code == 403  # no CSRF token
    answer = client.post("/check/offline", json=[item], headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200 and answer.json()["stored"] == 1
    [row] = [r for r in logged(uow_factory) if r.method == "qr_offline"]
    assert (row.card_id, row.outcome) == (card_id(uow_factory, number), "valid")
    assert row.checker_user_id == registry.principals["biz_checker"].user_id
    bad = client.post("/check/offline", content=b"[{", headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422
