"""The check PWA's offline verifier and a scheme that signs its own cards (issue 17 item 3):
the credential docs/examples/scheme_sign.py makes, checked offline on the page against the
downloaded bundle (whose status list for that scheme the hub signed), and the verifier's
outcomes matching the Python one's."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import cbor2
import pytest

from skillcard.adapters import keys
from skillcard.services.credentials import scheme_keys, trust
from skillcard.services.credentials.verification import verify
from tests.e2e.browser_support import axe_violations, sqlite_database_url
from tests.factories import OPERATOR

pytestmark = pytest.mark.browser
database_url = sqlite_database_url
SCRIPT = Path(__file__).parents[2] / "docs" / "examples" / "scheme_sign.py"


def _example():
    spec = importlib.util.spec_from_file_location("scheme_sign", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scheme_signed_texts(uow_factory, registry) -> dict[str, str]:
    example = _example()
    key = keys.generate_private_key()
    now = dt.datetime.now(dt.UTC)
    scheme_keys.register_key(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS",
        public_key=json.dumps(example.public_jwk(key.public_key())),
        valid_until=now + dt.timedelta(days=365),
    )  # fmt: skip
    answer = scheme_keys.card_claims(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", number=registry.cards["ann"]
    )
    claims = example.claims_to_sign(answer)
    kid = example.key_id(key.public_key())
    good = example.credential_text(claims, key, kid)
    other = example.credential_text(claims | {1: "CPCS"}, key, kid)
    stranger = keys.generate_private_key()
    unknown = example.credential_text(claims, stranger, example.key_id(stranger.public_key()))
    altered = _altered(good, claims)
    return {"good": good, "other": other, "unknown": unknown, "altered": altered}


def _altered(good: str, claims: dict) -> str:
    """The good credential's signature over other claims (a name changed on the way)."""
    from skillcard.adapters import cose
    from skillcard.services.credentials.verification import cose_from_text, text_from_cose

    signed = cose.decode(cose_from_text(good))
    payload = cbor2.dumps(claims | {5: "Mallory Example"})
    message = cbor2.CBORTag(18, [signed.protected, {}, payload, signed.signature])
    return text_from_cose(cbor2.dumps(message))


def test_a_scheme_signed_card_is_checked_offline_in_the_browser(
    live_server, page, registry, uow_factory
):
    texts = _scheme_signed_texts(uow_factory, registry)
    page.goto(f"{live_server}/check")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    page.wait_for_function("() => localStorage.getItem('skillcard-bundle') !== null")
    page.context.set_offline(True)
    page.reload()  # served by the service worker from its cache
    page.locator("#offline-note").wait_for()
    page.get_by_label("Or paste the code's text").fill(texts["good"])
    page.get_by_role("button", name="Check QR code").click()
    result = page.locator('.check-result.check-green[data-checked="offline"]')
    result.wait_for()
    assert "Valid card" in result.inner_text() and registry.cards["ann"] in result.inner_text()
    page.wait_for_function("() => document.activeElement.classList.contains('check-result')")
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/check-scheme-signed-offline.png", full_page=True)
    page.get_by_label("Or paste the code's text").fill(texts["other"])
    page.get_by_role("button", name="Check QR code").click()
    red = page.locator('.check-result.check-red[data-checked="offline"]')
    red.wait_for()
    assert red.get_attribute("data-outcome") == "unknown_issuer"

    document = trust.verifier_bundle(uow=uow_factory())
    now = dt.datetime.now(dt.UTC)
    bundle = trust.bundle_from_json(json.dumps(document), now)
    expected = {name: verify(text, bundle, now).outcome.value for name, text in texts.items()}
    assert expected == {
        "good": "valid", "other": "unknown_issuer", "unknown": "unknown_issuer",
        "altered": "bad_signature",
    }  # fmt: skip
    found = page.evaluate(
        """async ([doc, texts]) => {
            const bundle = await SkillcardOffline.loadBundle(doc);
            const out = {};
            for (const [name, text] of Object.entries(texts)) {
                out[name] = (await SkillcardOffline.verify(text, bundle)).outcome;
            }
            return out;
        }""",
        [document, texts],
    )
    assert found == expected
    ecs = next(s for s in document["status_lists"] if s["scheme"] == "ECS")
    assert ecs["kid"] == document["trust_list"]["kid"]  # the hub signed it, and JS took it
