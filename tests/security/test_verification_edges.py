"""Verification edges (issue 14): one valid form per signature and per message, and a bundle
trusted only under a pinned hub key.

- ECDSA's (r, s) and (r, n - s) both verify: the issuer signs low-S and every checker (Python,
  and the browser's offline-verify.js in tests/e2e/test_check_qr_browser.py) refuses the twin;
- only the tagged COSE_Sign1 the issuer writes is read; the bare array is ``malformed``;
- ``skillcard verify --bundle`` with no pinned hub key warns in development, refuses elsewhere;
- the check PWA pins the hub key it first saw and warns, keeping its old list, when a later
  bundle is signed by another.

Nothing here is stored beyond what the CLI and the page need, so SQLite alone is used.
"""

from __future__ import annotations

import dataclasses
import json

import cbor2
import pytest

from skillcard.adapters import cose, keys
from skillcard.adapters.signed_json import sign_document, signature_ok, unb64
from skillcard.config import get_settings
from skillcard.domain.credentials import Outcome, claims_to_map
from skillcard.services.credentials import credentials, signing
from skillcard.services.credentials.verification import cose_from_text, text_from_cose, verify
from tests.e2e.browser_support import sqlite_database_url
from tests.e2e.conftest import cli, files_dir, live_server, page  # noqa: F401 (fixtures)
from tests.e2e.test_cli import issued  # noqa: F401 (a fixture)
from tests.factories import OPERATOR
from tests.unit.test_verification import NOW, make_world, realistic_claims

database_url = sqlite_database_url
N = cose.P256_ORDER


def _twin(signature: bytes) -> bytes:
    s = int.from_bytes(signature[32:], "big")
    return signature[:32] + (N - s).to_bytes(32, "big")


def _rebuilt(text: str, signature: bytes | None = None, *, tag: bool = True) -> str:
    message = cose.decode(cose_from_text(text))
    parts = [message.protected, {}, message.payload, signature or message.signature]
    return text_from_cose(cbor2.dumps(cbor2.CBORTag(18, parts) if tag else parts))


# --- low-S ----------------------------------------------------------------------------------


def test_the_issuer_signs_low_s_every_time():
    key = keys.generate_private_key()
    for n in range(64):  # without normalising, about half would come out high
        message = cose.decode(cose.sign(b"payload %d" % n, key, "k"))
        assert int.from_bytes(message.signature[32:], "big") <= N // 2
        document = sign_document({"n": n, "kid": "k"}, key)
        assert int.from_bytes(unb64(document["signature"])[32:], "big") <= N // 2


def test_the_high_s_twin_of_a_valid_credential_is_a_bad_signature():
    world = make_world()
    good = world.issue()
    assert verify(good, world.bundle, NOW).outcome is Outcome.VALID
    signature = cose.decode(cose_from_text(good)).signature
    twin = _rebuilt(good, _twin(signature))
    # The twin is a mathematically valid ECDSA signature: only the low-S rule refuses it.
    public = world.signing_key.public_key()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    message = cose.decode(cose_from_text(twin))
    public.verify(
        cose.der_signature(message.signature),
        cose.sig_structure(message.protected, message.payload),
        ec.ECDSA(hashes.SHA256()),
    )
    result = verify(twin, world.bundle, NOW)
    assert result.outcome is Outcome.BAD_SIGNATURE and not result.valid


def test_the_high_s_twin_of_a_signed_document_is_refused():
    key = keys.generate_private_key()
    document = sign_document({"type": "skillcard-trust-list", "kid": "k"}, key)
    assert signature_ok(document, key.public_key())
    twin = {**document, "signature": keys._b64(_twin(unb64(document["signature"])))}
    assert not signature_ok(twin, key.public_key())


# --- tagged COSE_Sign1 only -----------------------------------------------------------------


def test_an_untagged_cose_sign1_is_malformed_even_when_its_signature_is_good():
    world = make_world()
    good = world.issue()
    assert verify(_rebuilt(good), world.bundle, NOW).outcome is Outcome.VALID
    untagged = _rebuilt(good, tag=False)
    result = verify(untagged, world.bundle, NOW)
    assert result.outcome is Outcome.MALFORMED
    assert "tagged" in " ".join(result.reasons)
    payload = cose.dumps(claims_to_map(dataclasses.replace(realistic_claims(), signed=NOW)))
    plain = cose.sign(payload, world.signing_key, world.kid, tag=False)
    assert verify(text_from_cose(plain, compress=False), world.bundle, NOW).outcome is (
        Outcome.MALFORMED
    )


# --- skillcard verify --bundle without a pinned hub key -------------------------------------


@pytest.fixture
def exported(cli, issued, tmp_path):  # noqa: F811
    code, text, err = cli("card", "qr", issued["number"], "--text")
    assert code == 0, err
    bundle = tmp_path / "bundle.json"
    assert cli("trust", "export", "-o", str(bundle))[0] == 0
    hub = json.loads(bundle.read_text())["trust_list"]["hub"]["public_key"]
    return text.strip(), bundle, hub


def _environment(monkeypatch, name: str, hub_key: str = "") -> None:
    monkeypatch.setenv("SKILLCARD_ENVIRONMENT", name)
    monkeypatch.setenv("SKILLCARD_SECRET_KEY", "x" * 48)  # not needed to read a bundle
    monkeypatch.setenv("SKILLCARD_HUB_KEY", hub_key)
    get_settings.cache_clear()


def test_in_development_an_unpinned_bundle_is_used_with_a_loud_warning(
    cli,  # noqa: F811
    exported,
    monkeypatch,
):
    text, bundle, hub = exported
    _environment(monkeypatch, "development")
    code, out, err = cli("verify", "--text", text, "--bundle", str(bundle), "--json")
    assert (code, json.loads(out)["outcome"]) == (0, "valid")
    assert "WARNING" in err and "trusting the key inside this bundle" in err
    code, out, err = cli("verify", "--text", text, "--bundle", str(bundle), "--hub-key", hub)
    assert code == 0 and "WARNING" not in err


def test_outside_development_an_unpinned_bundle_is_refused_saying_how_to_pin(
    cli,  # noqa: F811
    exported,
    monkeypatch,
):
    text, bundle, hub = exported
    _environment(monkeypatch, "production")
    code, out, err = cli("verify", "--text", text, "--bundle", str(bundle), "--json")
    assert code == 2 and out == ""
    assert "--hub-key" in err and "SKILLCARD_HUB_KEY" in err
    code, out, err = cli("verify", "--text", text, "--bundle", str(bundle), "--hub-key", hub)
    assert code == 0, err
    _environment(monkeypatch, "production", hub_key=hub)  # pinned in the settings
    code, out, err = cli("verify", "--text", text, "--bundle", str(bundle), "--json")
    assert (code, json.loads(out)["outcome"]) == (0, "valid"), err
    other = keys._b64(keys.public_key_bytes(keys.generate_private_key()))
    _environment(monkeypatch, "production", hub_key=other)  # a bundle from someone else
    code, out, err = cli("verify", "--text", text, "--bundle", str(bundle))
    assert code == 2 and "not signed by the hub" in err


# --- the check PWA pins the hub key ---------------------------------------------------------


@pytest.mark.browser
def test_the_check_page_pins_the_hub_key_and_warns_when_a_bundle_has_another(
    live_server,  # noqa: F811
    page,  # noqa: F811
    registry,
    uow_factory,
):
    from tests.e2e.browser_support import axe_violations

    good = credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    page.goto(f"{live_server}/check")
    page.wait_for_function("() => localStorage.getItem('skillcard-hub-key') !== null")
    page.wait_for_function("() => localStorage.getItem('skillcard-bundle') !== null")
    pin = page.evaluate("localStorage.getItem('skillcard-hub-key')")
    kept = page.evaluate("JSON.parse(localStorage.getItem('skillcard-bundle'))")
    first_hub = kept["bundle"]["trust_list"]["hub"]["public_key"]
    assert page.locator("#hub-key-warning").is_hidden()

    signing.rotate_key(uow=uow_factory(), who=OPERATOR, scheme_code="HUB", reason="test")
    # The bundle may be cached for 5 minutes (Cache-Control): as if they had passed.
    page.context.new_cdp_session(page).send("Network.clearBrowserCache")
    page.reload()
    warning = page.locator("#hub-key-warning")
    warning.wait_for(state="visible")
    assert "different hub key" in warning.inner_text()
    assert "has not been used" in warning.inner_text()
    assert page.evaluate("localStorage.getItem('skillcard-hub-key')") == pin
    kept = page.evaluate("JSON.parse(localStorage.getItem('skillcard-bundle'))")
    assert kept["bundle"]["trust_list"]["hub"]["public_key"] == first_hub  # the old list kept
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/check-hub-key-warning-phone.png", full_page=True)
    # A bundle under another hub key is refused by the offline verifier given the pin.
    refused = page.evaluate(
        """async (pin) => {
            const fresh = await (await fetch('/api/v1/bundle')).json();
            try { await SkillcardOffline.loadBundle(fresh, new Date(), pin); return 'loaded'; }
            catch (e) { return e.message; }
        }""",
        pin,
    )
    assert "does not trust" in refused
    # and the card is still checked offline against the list kept under the pinned key
    page.context.set_offline(True)
    answer = page.evaluate(
        "async (text) => { await SkillcardCheck.checkOffline(text);"
        " return document.querySelector('.check-result').dataset.outcome; }",
        good,
    )
    assert answer == "valid"
