"""The invigilator's forms (issue 19): the candidate is named by the card number they carry,
chosen from the people who sat the assessment or typed; a decision is never pre-selected."""

from __future__ import annotations

import re

import pytest

from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.photos import drawn_portrait
from skillcard.services.hse import hse_attempts, hse_bank
from tests.e2e.conftest import sign_in
from tests.factories import OPERATOR


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture
def handed_in(registry, uow_factory, files_dir):
    """Ann's attempt, handed in and waiting for the invigilator."""
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    ann = registry.principals["ann"]
    attempt = hse_attempts.start_attempt(uow=uow_factory(), who=ann, scheme_code="ECS")
    photo = drawn_portrait("Ann")
    hse_attempts.check_identity(
        uow=uow_factory(), store=InvigilationFileStore(files_dir), who=ann,
        attempt_id=attempt, face_photo=photo, id_photo=photo,
    )  # fmt: skip
    hse_attempts.begin(uow=uow_factory(), who=ann, attempt_id=attempt)
    hse_attempts.submit(uow=uow_factory(), who=ann, attempt_id=attempt)
    return attempt


def test_adjustments_name_the_candidate_by_card_number(client, registry, uow_factory, handed_in):
    sign_in(client, registry.emails["invigilator"])
    queue = client.get("/invigilation")
    assert 'name="cardholder_id"' not in queue.text
    assert f'<option value="{registry.cards["ann"]}" label="Ann' in queue.text  # sat it
    typed = " " + " ".join(registry.cards["ann"].lower()) + " "  # spaces, small letters
    done = client.post(
        "/invigilation/adjustments",
        data={"csrf_token": csrf_of(queue.text), "card_number": typed, "extra_minutes": "15"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/invigilation?done=adjustment"
    with uow_factory() as uow:
        assert uow.hse_adjustments.of_cardholder(registry.holders["ann"]).extra_minutes == 15


def test_the_decision_form_chooses_nothing_for_the_invigilator(client, registry, handed_in):
    sign_in(client, registry.emails["invigilator"])
    page = client.get(f"/invigilation/attempts/{handed_in}")
    radios = re.findall(r'<input type="radio"[^>]*>', page.text)
    assert radios and not any("checked" in radio for radio in radios)
    nothing = client.post(
        f"/invigilation/attempts/{handed_in}/decision", data={"csrf_token": csrf_of(page.text)}
    )
    assert nothing.status_code == 422 and "choose a decision" in nothing.text.lower()
