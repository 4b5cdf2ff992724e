"""Issue 19's pages for the hub admin and the invigilator: the hub's overview and its audit
check are the hub admin's alone; an invigilator names candidates of their own scheme only."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import app, client, files_dir, sign_in

__all__ = ["app", "client", "files_dir"]  # fixtures used by name


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.mark.parametrize("role", ["ecs_admin", "ann"])
def test_nobody_else_sees_the_hub(client, registry, role):
    sign_in(client, registry.emails[role])
    page = client.get("/hub")
    assert page.status_code == 403
    assert 'href="/hub"' not in page.text
    csrf = csrf_of(client.get("/account/password").text)
    assert client.post("/hub/audit/verify", data={"csrf_token": csrf}).status_code == 403


@pytest.mark.parametrize("number", ["", "ECS99999999", "cpcs"])
def test_a_card_not_of_the_invigilators_scheme_is_refused_and_changes_nothing(
    client, registry, uow_factory, number
):
    """Another scheme's card (the CPCS holder's) or an unknown number: a clear message, and no
    adjustment for anyone."""
    if number == "cpcs":
        number = registry.cards["cy"]
    sign_in(client, registry.emails["invigilator"])
    queue = client.get("/invigilation")
    for form in ("adjustments", "conflicts"):
        refused = client.post(
            f"/invigilation/{form}",
            data={"csrf_token": csrf_of(queue.text), "card_number": number, "relationship": "x"},
        )
        assert refused.status_code == 404
        assert "check the number" in refused.text.lower()
    with uow_factory() as uow:
        for holder in registry.holders.values():
            assert uow.hse_adjustments.of_cardholder(holder) is None
