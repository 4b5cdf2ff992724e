"""A scheme that holds its own key, end to end through the real CLI: docs/examples/scheme_sign.py
(run as a separate program, as a scheme would) makes the key and signs; ``skillcard keys
register`` takes the public half; ``skillcard verify`` with an exported bundle judges the
credentials (issue 17 item 3)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import cbor2

from skillcard.adapters import cose
from skillcard.services.credentials.verification import cose_from_text, text_from_cose
from tests.e2e.test_cli import issued  # noqa: F401  (a fixture)

SCRIPT = Path(__file__).parents[2] / "docs" / "examples" / "scheme_sign.py"
NEXT_YEAR = (dt.date.today() + dt.timedelta(days=365)).isoformat()


def script(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def verify(cli, text: str, bundle: Path) -> tuple[int, dict]:
    code, out, err = cli("verify", "--text", text, "--bundle", str(bundle), "--json")
    assert out, err
    return code, json.loads(out)


def signed_claims(cli, tmp_path: Path, number: str, changes: dict | None = None) -> Path:
    code, out, err = cli("keys", "claims", "ECS", number)
    assert code == 0, err
    answer = json.loads(out)
    if changes:  # another card's claims, as a scheme's buggy or hostile system might send
        claims = cbor2.loads(base64.urlsafe_b64decode(answer["cbor"] + "=="))
        claims.update(changes)
        answer["cbor"] = base64.urlsafe_b64encode(cbor2.dumps(claims)).decode().rstrip("=")
    path = tmp_path / f"claims-{len(changes or ())}.json"
    path.write_text(json.dumps(answer))
    return path


def test_a_scheme_signs_its_own_cards_and_every_verdict_is_right(cli, issued, tmp_path):  # noqa: F811
    number = issued["number"]
    code, hub_signed, _ = cli("card", "qr", number, "--text")  # before the scheme takes over
    assert code == 0
    key, jwk = tmp_path / "scheme-key.pem", tmp_path / "scheme-key.jwk.json"
    kid = script("new-key", "--key", str(key), "--jwk", str(jwk))
    assert "d" not in json.loads(jwk.read_text())  # the public half only

    code, out, err = cli("keys", "register", "ECS", str(jwk), "--until", NEXT_YEAR, "--json")
    assert code == 0, err
    assert json.loads(out)["kid"] == kid == script("kid", "--jwk", str(jwk))
    code, out, _ = cli("keys", "list", "--json")
    ecs = {k["kid"]: k for k in json.loads(out)["keys"] if k["scheme"] == "ECS"}
    assert ecs[kid]["holder"] == "scheme" and ecs[kid]["status"] == "current"
    assert [k["status"] for k in ecs.values() if k["holder"] == "hub"] == ["retired"]

    text = script("sign", "--key", str(key), "--claims", str(signed_claims(cli, tmp_path, number)))
    bundle = tmp_path / "bundle.json"
    assert cli("trust", "export", "-o", str(bundle))[0] == 0
    listed = {k["kid"]: k for k in json.loads(bundle.read_text())["trust_list"]["keys"]}
    assert listed[kid]["holder"] == "scheme" and listed[kid]["scheme"] == "ECS"
    code, answer = verify(cli, text, bundle)
    assert (code, answer["outcome"], answer["key_id"]) == (0, "valid", kid)
    assert answer["claims"]["number"] == number
    # the card the hub signed before stays valid until its key leaves the list
    assert verify(cli, hub_signed.strip(), bundle)[1]["outcome"] == "valid"

    # the same signature over other claims: altered on the way
    message = cose.decode(cose_from_text(text))
    other = cbor2.loads(message.payload) | {5: "Someone Else"}
    forged = cbor2.dumps(
        cbor2.CBORTag(18, [message.protected, {}, cbor2.dumps(other), message.signature])
    )
    code, answer = verify(cli, text_from_cose(forged), bundle)
    assert (code, answer["outcome"]) == (1, "bad_signature")

    # a card of another scheme, signed with ECS's key: a sound signature, but not ECS's to give
    cpcs = signed_claims(cli, tmp_path, number, {1: "CPCS"})
    code, answer = verify(cli, script("sign", "--key", str(key), "--claims", str(cpcs)), bundle)
    assert (code, answer["outcome"]) == (1, "unknown_issuer")
    assert "signed with a key of ECS" in answer["reasons"][0]

    # the hub holds no key of ECS any more: it will not sign its cards
    code, _, err = cli("card", "qr", number, "--text")
    assert code == 2 and "signs its own credentials" in err


def test_a_retired_scheme_key_signs_nothing_new(cli, issued, tmp_path):  # noqa: F811
    number = issued["number"]
    key, jwk = tmp_path / "k.pem", tmp_path / "k.json"
    kid = script("new-key", "--key", str(key), "--jwk", str(jwk))
    assert cli("keys", "register", "ECS", str(jwk), "--until", NEXT_YEAR)[0] == 0
    claims = signed_claims(cli, tmp_path, number)
    before = script("sign", "--key", str(key), "--claims", str(claims))
    code, _, err = cli("keys", "retire", "ECS", "--kid", kid, "--reason", "moved to a new HSM")
    assert code == 0, err
    later = int(dt.datetime.now(dt.UTC).timestamp()) + 3600  # past the clock skew allowed
    after = script("sign", "--key", str(key), "--claims", str(claims), "--signed-at", str(later))
    bundle = tmp_path / "bundle.json"
    assert cli("trust", "export", "-o", str(bundle))[0] == 0
    assert verify(cli, before, bundle)[1]["outcome"] == "valid"
    assert verify(cli, after, bundle)[1]["outcome"] == "unknown_issuer"
    assert cli("keys", "retire", "ECS", "--kid", kid, "--reason", "again")[0] == 2
    # a key id may start with "-" (base64url): it is read as the option's value all the same
    code, _, err = cli("keys", "retire", "ECS", "--kid", "-Wnotakey12", "--reason", "x")
    assert code == 2 and "no key -Wnotakey12" in err


def test_private_keys_and_bad_windows_are_refused_and_nothing_is_stored(cli, issued, tmp_path):  # noqa: F811
    key, jwk = tmp_path / "k.pem", tmp_path / "k.json"
    script("new-key", "--key", str(key), "--jwk", str(jwk))
    secret = key.read_text()
    code, out, err = cli("keys", "register", "ECS", str(key), "--until", NEXT_YEAR)
    assert code == 2 and "private key" in err
    assert secret.splitlines()[1] not in out + err  # not one line of it is repeated
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    code, _, err = cli("keys", "register", "ECS", str(jwk), "--until", yesterday)
    assert code == 2 and "already ended" in err
    later = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    code, _, err = cli("keys", "register", "ECS", str(jwk), "--from", later, "--until", NEXT_YEAR)
    assert code == 2 and "ends before it starts" in err
    code, out, _ = cli("keys", "list", "--json")
    assert all(k["holder"] == "hub" for k in json.loads(out)["keys"])
    assert cli("keys", "register", "ECS", str(jwk), "--until", NEXT_YEAR)[0] == 0
    code, _, err = cli("keys", "register", "ECS", str(jwk), "--until", NEXT_YEAR)
    assert code == 2 and "already registered" in err
