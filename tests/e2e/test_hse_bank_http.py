"""The HSE item bank's editing surface: pages, API and CLI, for the admins who manage it."""

from __future__ import annotations

import json

import pytest

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.services.hse import hse_attempts, hse_bank
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.factories import OPERATOR

CODE = "HSE-PPE-001"


@pytest.fixture
def bank(registry, uow_factory):
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    return registry


def versions(uow_factory, code: str = CODE) -> list[tuple[int, str, str]]:
    with uow_factory() as uow:
        return [(i.version, i.status, i.stem) for i in uow.hse_items.versions(code)]


def edit_form(html: str, **changes) -> dict:
    """The edit form as the page fills it, with ``changes``."""
    item = next(i for i in demo_items() if i.code == CODE)
    form = {
        "csrf_token": page_csrf(html),
        "stem": item.stem,
        **{f"option_{n}": option for n, option in enumerate(item.options)},
        "key": str(item.key),
        "explanation": item.explanation,
        "topic": item.topic,
        "status": "live",
    }
    return {**form, **changes}


def test_an_admin_lists_filters_and_edits_a_live_item(client, bank, uow_factory):
    ann = bank.principals["ann"]
    attempt_id = hse_attempts.start_attempt(uow=uow_factory(), who=ann)
    with uow_factory() as uow:
        form_ids = uow.hse_attempts.get(attempt_id).form_item_ids()
        drawn = uow.hse_items.get(form_ids[0])
        drawn_code, drawn_stem = drawn.code, drawn.stem

    sign_in(client, bank.emails["hub"])
    assert 'href="/admin/hse/items"' in client.get("/admin/cards").text
    listed = client.get("/admin/hse/items")
    assert listed.status_code == 200
    assert f"{len(demo_items())} questions" in listed.text and CODE in listed.text
    ppe = client.get("/admin/hse/items", params={"topic": "ppe"})
    assert CODE in ppe.text and "HSE-FIRE-" not in ppe.text
    assert "No questions match" in client.get("/admin/hse/items?status=draft").text
    assert client.get("/admin/hse/items?topic=knitting").status_code == 422

    page = client.get(f"/admin/hse/items/{drawn_code}")
    assert page.status_code == 200 and "(the right answer)" in page.text
    assert "Saving a change makes version 2" in page.text
    saved = client.post(
        f"/admin/hse/items/{drawn_code}",
        data={**_form_of(uow_factory, drawn_code, page.text), "stem": "A clearer question?"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    after = client.get(saved.headers["location"])
    assert "Saved. The bank now holds version 2, live." in after.text
    assert [v[:2] for v in versions(uow_factory, drawn_code)] == [(1, "retired"), (2, "live")]
    with uow_factory() as uow:  # the attempt drawn before keeps the version it was given
        assert uow.hse_attempts.get(attempt_id).form_item_ids() == form_ids
        assert uow.hse_items.get(form_ids[0]).stem == drawn_stem
    # Saving the form unchanged makes no version nobody asked for.
    client.post(f"/admin/hse/items/{drawn_code}", data=_form_of(uow_factory, drawn_code, page.text))
    assert len(versions(uow_factory, drawn_code)) == 2


def _form_of(uow_factory, code: str, html: str) -> dict:
    with uow_factory() as uow:
        item = uow.hse_items.versions(code)[-1]
    return {
        "csrf_token": page_csrf(html),
        "stem": item.stem,
        **{f"option_{n}": option for n, option in enumerate(item.options)},
        "key": str(item.key),
        "explanation": item.explanation,
        "topic": item.topic,
        "status": item.status,
    }


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"stem": "   "}, 422, "A question needs a stem"),
        ({"option_1": "Typed again", "option_2": "Typed again"}, 422, "Two options say the same"),
        ({"key": "7"}, 422, "The key is not one of the options"),
        ({"topic": "knitting"}, 422, "is not a topic of the test"),
        ({"status": "published"}, 422, "Status is draft, live or retired"),
    ],
)
def test_bad_input_is_shown_again_with_the_message_and_changes_nothing(
    client, bank, uow_factory, changes, status, message
):
    before = versions(uow_factory)
    sign_in(client, bank.emails["hub"])
    page = client.get(f"/admin/hse/items/{CODE}")
    refused = client.post(
        f"/admin/hse/items/{CODE}", data=edit_form(page.text, option_0="What I typed", **changes)
    )
    assert refused.status_code == status
    assert "There is a problem" in refused.text and message in refused.text
    assert ">What I typed</textarea>" in refused.text  # the typed values are kept
    assert versions(uow_factory) == before


def test_a_form_without_its_csrf_token_is_refused(client, bank, uow_factory):
    before = versions(uow_factory)
    sign_in(client, bank.emails["hub"])
    page = client.get(f"/admin/hse/items/{CODE}")
    for token in ("", "forged"):
        refused = client.post(
            f"/admin/hse/items/{CODE}", data=edit_form(page.text, csrf_token=token, stem="X?")
        )
        assert refused.status_code == 403 and "did not come from skillcard" in refused.text
    assert versions(uow_factory) == before


def test_a_candidate_or_invigilator_cannot_see_or_change_the_bank(
    client, bank, tokens, uow_factory
):
    before = versions(uow_factory)
    for key in ("ann", "invigilator"):
        client.cookies.clear()
        sign_in(client, bank.emails[key])
        assert client.get("/admin/hse/items").status_code == 403
        assert client.get(f"/admin/hse/items/{CODE}").status_code == 403
        csrf = page_csrf(client.get("/my" if key == "ann" else "/invigilation").text)
        posted = client.post(f"/admin/hse/items/{CODE}", data={"csrf_token": csrf, "stem": "X?"})
        assert posted.status_code == 403
        api = bearer(tokens[key])
        listed = client.get("/api/v1/hse/items", headers=api)
        assert listed.status_code == 403 and "explanation" not in listed.text
        put = client.put(f"/api/v1/hse/items/{CODE}", headers=api, json={"stem": "X?"})
        assert put.status_code == 403 and put.json()["error"]["code"] == "forbidden"
    assert versions(uow_factory) == before


def test_the_bank_over_the_api(client, bank, tokens, uow_factory):
    admin = bearer(tokens["hub"])  # only hub admins edit the shared bank (issue 14)
    listed = client.get("/api/v1/hse/items", headers=admin).json()["items"]
    assert len(listed) == len(demo_items())
    first = next(i for i in listed if i["code"] == CODE)
    assert first["explanation"] and 0 <= first["key"] < 4 and first["version"] == 1
    ppe = client.get("/api/v1/hse/items?topic=ppe&status=live", headers=admin).json()["items"]
    assert ppe and {i["topic"] for i in ppe} == {"ppe"}
    assert client.get("/api/v1/hse/items?status=gone", headers=admin).status_code == 422

    url = f"/api/v1/hse/items/{CODE}"
    revised = client.put(url, headers=admin, json={"key": (first["key"] + 1) % 4})
    assert revised.status_code == 200 and revised.json()["version"] == 2
    assert revised.json()["status"] == "live"
    # Back to a draft (version 3); a draft nobody sat is then changed in place.
    assert client.put(url, headers=admin, json={"status": "draft"}).json()["version"] == 3
    draft = client.put(url, headers=admin, json={"explanation": "Said better."}).json()
    assert (draft["version"], draft["explanation"]) == (3, "Said better.")
    for body, status in (
        ({}, 422),
        ({"topic": "knitting"}, 422),
        ({"options": ["Same", "Same", "C", "D"]}, 422),
        ({"key": 9}, 422),
    ):
        refused = client.put(url, headers=admin, json=body)
        assert refused.status_code == status and refused.json()["error"]["message"]
    assert client.put("/api/v1/hse/items/NOPE", headers=admin, json={"stem": "?"}).status_code == (
        404
    )
    assert [v[:2] for v in versions(uow_factory)] == [(1, "retired"), (2, "retired"), (3, "draft")]


def test_the_cli_lists_the_bank(cli, bank):
    code, out, err = cli("hse", "items", "--topic", "ppe", "--status", "live", "--json")
    assert code == 0, err
    listed = json.loads(out)["items"]
    assert listed and {i["topic"] for i in listed} == {"ppe"} and "key" in listed[0]
    code, out, _err = cli("hse", "items", "--topic", "ppe")
    assert code == 0 and CODE in out and "Personal protective equipment" in out
    code, _out, err = cli("hse", "items", "--status", "gone")
    assert code == 2 and "draft, live or retired" in err
