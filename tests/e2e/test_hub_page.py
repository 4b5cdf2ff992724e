"""The hub admin's page (issue 19): the schemes with their cards, the keys, the trust list and
the audit chain; a verify button that says how the chain came out; nobody else sees it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_hub_admin_sees_schemes_keys_trust_list_and_audit_chain(client, registry):
    sign_in(client, registry.emails["hub"])
    assert client.get("/", follow_redirects=False).headers["location"] == "/hub"
    page = client.get("/hub")
    assert page.status_code == 200
    assert 'href="/hub"' in page.text  # the header leads there
    assert 'href="/api/v1/trust-list"' in page.text
    assert "Check the audit log now" in page.text
    assert "<td>ECS</td>" in page.text and "<td>CPCS</td>" in page.text
    verified = client.post("/hub/audit/verify", data={"csrf_token": csrf_of(page.text)})
    assert verified.status_code == 200
    assert "Checked just now: all" in verified.text


def header_of(html: str) -> str:
    return html.split('<header class="site-header">')[1].split("</header>")[0]


def test_the_header_signed_out_offers_sign_in_and_checking(client):
    header = header_of(client.get("/check").text)
    assert 'href="/login">Sign in</a>' in header and 'href="/check">Check a card</a>' in header
    assert "Sign out" not in header


@pytest.mark.parametrize(
    ("role", "check", "hub"),
    [
        ("hub", "/check", True),
        ("ecs_admin", "/check", False),
        ("ann", "/check", False),
        ("biz_checker", "/business/check", False),
    ],
)
def test_the_header_signed_in_leads_each_role_to_its_checking_and_only_the_hub_admin_to_the_hub(
    client, registry, role, check, hub
):
    sign_in(client, registry.emails[role])
    header = header_of(client.get("/account/password").text)
    assert f'href="{check}">Check a card</a>' in header and "Sign in" not in header
    assert ('href="/hub"' in header) is hub


def test_the_hub_page_says_which_keys_a_scheme_holds_itself(client, registry, uow_factory):
    """Issue 17 item 3: a scheme's own key is shown as such, with its window."""
    import datetime as dt
    import json

    from skillcard.adapters import keys
    from skillcard.services.credentials import scheme_keys

    until = dt.datetime(2030, 1, 31, tzinfo=dt.UTC)
    jwk = json.dumps(keys.public_key_jwk(keys.generate_private_key()))
    registered = scheme_keys.register_key(
        uow=uow_factory(), who=registry.principals["hub"], scheme_code="CPCS", public_key=jwk,
        valid_until=until,
    )  # fmt: skip
    sign_in(client, registry.emails["hub"])
    page = client.get("/hub").text
    mine = page.split(registered.kid)[1].split("</li>")[0]
    assert "Held by the scheme in its own system" in mine and "31 January 2030" in mine
