"""Issue 14 (trust hardening), the HSE assessment's two smaller findings.

- The item bank is shared by every scheme's candidates and an item has no owning scheme, so
  only hub admins edit it: a scheme admin is refused (403) at every door (page, API, QTI
  import, the service the CLI calls), and nothing changes.
- An invigilator sees an attempt only once it is handed in, and only of their scheme: an
  attempt in progress, or another scheme's, is not found (404) by the page, its photos, the
  queue or a decision.
"""

from __future__ import annotations

import pytest

from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.photos import drawn_portrait
from skillcard.domain.accounts import Principal, Role
from skillcard.errors import NotFound, PermissionDenied
from skillcard.services.accounts import accounts
from skillcard.services.hse import hse_attempts, hse_bank, hse_review
from tests.e2e import conftest as e2e
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.factories import OPERATOR, PASSWORD

app, cli, client, files_dir = e2e.app, e2e.cli, e2e.client, e2e.files_dir  # the HTTP fixtures
tokens = e2e.tokens
CODE = "HSE-PPE-001"


@pytest.fixture
def bank(registry, uow_factory):
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    return registry


def _bank_now(uow_factory) -> list[tuple[str, int, str, str]]:
    with uow_factory() as uow:
        return [(i.code, i.version, i.status, i.stem) for i in uow.hse_items.latest()]


def _edit_form(html: str, **changes) -> dict:
    item = next(i for i in demo_items() if i.code == CODE)
    return {
        "csrf_token": page_csrf(html),
        "stem": item.stem,
        **{f"option_{n}": option for n, option in enumerate(item.options)},
        "key": str(item.key),
        "explanation": item.explanation,
        "topic": item.topic,
        "status": "live",
        **changes,
    }


def test_a_scheme_admin_cannot_edit_the_shared_bank_at_any_door(client, bank, tokens, uow_factory):
    before = _bank_now(uow_factory)
    package = hse_bank.export_package(uow=uow_factory(), who=OPERATOR)
    for key in ("ecs_admin", "cpcs_admin"):
        who = bank.principals[key]
        with pytest.raises(PermissionDenied):
            hse_bank.revise_item(uow=uow_factory(), who=who, code=CODE, stem="Changed?")
        with pytest.raises(PermissionDenied):
            hse_bank.import_items(uow=uow_factory(), who=who, items=demo_items())
        with pytest.raises(PermissionDenied):
            hse_bank.import_package(uow=uow_factory(), who=who, data=package)
        api = bearer(tokens[key])
        put = client.put(f"/api/v1/hse/items/{CODE}", headers=api, json={"stem": "Changed?"})
        assert put.status_code == 403 and put.json()["error"]["code"] == "forbidden"
        qti = client.post(
            "/api/v1/hse/bank", headers=api, files={"package": ("b.zip", package, "x/zip")}
        )
        assert qti.status_code == 403 and "hub admins only" in qti.json()["error"]["message"]
        # They still read it (their candidates sit it), but the page offers no form.
        assert client.get("/api/v1/hse/items", headers=api).status_code == 200
        client.cookies.clear()
        sign_in(client, bank.emails[key])
        page = client.get(f"/admin/hse/items/{CODE}")
        assert page.status_code == 200 and "only hub admins change it" in page.text
        assert "Save changes" not in page.text
        posted = client.post(f"/admin/hse/items/{CODE}", data=_edit_form(page.text, stem="X?"))
        assert posted.status_code == 403
    assert _bank_now(uow_factory) == before


def test_a_hub_admin_edits_the_bank_at_every_door(client, bank, tokens, uow_factory, cli):
    api = bearer(tokens["hub"])
    put = client.put(f"/api/v1/hse/items/{CODE}", headers=api, json={"stem": "By the API?"})
    assert put.status_code == 200 and put.json()["version"] == 2
    package = client.get("/api/v1/hse/bank.zip", headers=api).content
    qti = client.post("/api/v1/hse/bank", headers=api, files={"package": ("b.zip", package)})
    assert qti.status_code == 200 and qti.json()["unchanged"] == len(demo_items())
    sign_in(client, bank.emails["hub"])
    page = client.get(f"/admin/hse/items/{CODE}")
    assert "Save changes" in page.text
    saved = client.post(
        f"/admin/hse/items/{CODE}",
        data=_edit_form(page.text, stem="By the page?"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert dict((c, s) for c, _v, _st, s in _bank_now(uow_factory))[CODE] == "By the page?"
    # The command line is the operator's, a hub admin: it imports through the same service.
    code, _out, err = cli("hse", "import", "--demo")
    assert code == 0, err


@pytest.fixture
def running(bank, uow_factory, files_dir):
    """Ann (ECS) has an attempt in progress, her photos stored where the app reads them."""
    ann = bank.principals["ann"]
    store = InvigilationFileStore(files_dir)
    attempt_id = hse_attempts.start_attempt(uow=uow_factory(), who=ann, seed=42)
    hse_attempts.check_identity(
        uow=uow_factory(),
        store=store,
        who=ann,
        attempt_id=attempt_id,
        face_photo=drawn_portrait("Ann Nunez"),
        id_photo=drawn_portrait("Ann Nunez passport"),
    )
    hse_attempts.begin(uow=uow_factory(), who=ann, attempt_id=attempt_id)
    with uow_factory() as uow:
        photo = uow.hse_attempts.get(attempt_id).face_photo_sha256
    return attempt_id, photo


def _cpcs_invigilator(uow_factory) -> tuple[Principal, str]:
    email = "cpcs.invigilator@example.test"
    user_id = accounts.add_user(
        uow=uow_factory(),
        who=OPERATOR,
        email=email,
        display_name="CPCS invigilator",
        role=Role.INVIGILATOR,
        password=PASSWORD,
        scheme_code="CPCS",
    )
    with uow_factory() as uow:
        return Principal.of(uow.users.get(user_id)), email


def _doors(client, tokens_of: str, attempt_id: int, photo: str) -> list[int]:
    """The status each door gives: the attempt's page, its photo, a decision over the API."""
    return [
        client.get(f"/invigilation/attempts/{attempt_id}").status_code,
        client.get(f"/invigilation/files/{attempt_id}/{photo}").status_code,
        client.post(
            f"/api/v1/hse/review/{attempt_id}/decision",
            headers=bearer(tokens_of),
            json={"decision": "void", "reason": "looking"},
        ).status_code,
    ]


def test_an_invigilator_cannot_see_an_attempt_in_progress(
    client, bank, tokens, uow_factory, running
):
    attempt_id, photo = running
    invigilator = bank.principals["invigilator"]
    with pytest.raises(NotFound):
        hse_review.review_detail(uow=uow_factory(), who=invigilator, attempt_id=attempt_id)
    sign_in(client, bank.emails["invigilator"])
    assert _doors(client, tokens["invigilator"], attempt_id, photo) == [404, 404, 404]
    assert hse_review.review_queue(uow=uow_factory(), who=invigilator) == []
    with uow_factory() as uow:
        assert uow.hse_attempts.get(attempt_id).state == "started"  # the void did nothing

    hse_attempts.submit(uow=uow_factory(), who=bank.principals["ann"], attempt_id=attempt_id)
    assert client.get(f"/invigilation/attempts/{attempt_id}").status_code == 200
    assert client.get(f"/invigilation/files/{attempt_id}/{photo}").status_code == 200
    queued = hse_review.review_queue(uow=uow_factory(), who=invigilator)
    assert [entry.id for entry in queued] == [attempt_id]


def test_an_invigilator_cannot_see_another_schemes_attempt(client, bank, uow_factory, running):
    attempt_id, photo = running
    hse_attempts.submit(uow=uow_factory(), who=bank.principals["ann"], attempt_id=attempt_id)
    other, email = _cpcs_invigilator(uow_factory)
    token = accounts.create_api_token(
        uow=uow_factory(), who=OPERATOR, email=email, name="t", days=1
    )
    with pytest.raises(NotFound):
        hse_review.review_detail(uow=uow_factory(), who=other, attempt_id=attempt_id)
    assert hse_review.review_queue(uow=uow_factory(), who=other) == []
    sign_in(client, email)
    assert _doors(client, token, attempt_id, photo) == [404, 404, 404]
    with uow_factory() as uow:
        assert uow.hse_attempts.get(attempt_id).state == "submitted"
