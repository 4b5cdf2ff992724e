"""``card qr``, ``verify``, ``trust export`` and ``keys`` through the real CLI."""

from __future__ import annotations

import json

from skillcard.adapters.qr import read_qr
from tests.e2e.test_cli import issued  # noqa: F401  (a fixture)


def test_a_printed_qr_png_verifies_and_reads_as_version_15_or_less(cli, issued, tmp_path):  # noqa: F811
    png = tmp_path / "card.png"
    code, _, err = cli("card", "qr", issued["number"], "-o", str(png))
    assert code == 0, err
    (found,) = read_qr(png.read_bytes())
    assert found.text.startswith("SC1:") and found.version <= 15
    code, out, err = cli("verify", "--qr", str(png), "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["outcome"] == "valid" and answer["claims"]["number"] == issued["number"]


def test_verify_with_an_exported_bundle_and_after_a_revoke(cli, issued, tmp_path):  # noqa: F811
    number = issued["number"]
    code, text, _ = cli("card", "qr", number, "--text")
    text = text.strip()
    bundle = tmp_path / "bundle.json"
    assert cli("trust", "export", "-o", str(bundle))[0] == 0
    code, out, err = cli("verify", "--text", text, "--bundle", str(bundle), "--json")
    assert (code, json.loads(out)["outcome"]) == (0, "valid"), err
    assert cli("card", "revoke", number, "--reason", "forged")[0] == 0
    code, out, _ = cli("verify", "--text", text, "--json")
    assert (code, json.loads(out)["outcome"]) == (1, "revoked")


def test_garbage_text_is_a_malformed_check_and_bad_files_are_bad_input(cli, issued, tmp_path):  # noqa: F811
    code, out, _ = cli("verify", "--text", "not a card at all", "--json")
    assert (code, json.loads(out)["outcome"]) == (1, "malformed")
    blank = tmp_path / "bundle.json"
    blank.write_text('{"type": "skillcard-verifier-bundle"}')
    assert cli("verify", "--text", "SC1:X", "--bundle", str(blank))[0] == 2
    assert cli("verify")[0] == 2


def test_keys_list_and_rotate(cli, issued):  # noqa: F811
    code, out, _ = cli("keys", "list", "--json")
    before = {k["scheme"]: k["kid"] for k in json.loads(out)["keys"]}
    assert code == 0 and {"HUB", "ECS"} <= before.keys()
    code, out, err = cli("keys", "rotate", "ECS", "--reason", "yearly", "--json")
    assert code == 0, err
    new = json.loads(out)["kid"]
    code, out, _ = cli("keys", "list", "--json")
    ecs = [k for k in json.loads(out)["keys"] if k["scheme"] == "ECS"]
    assert {(k["kid"], k["status"]) for k in ecs} == {(before["ECS"], "retired"), (new, "current")}
    assert cli("keys", "rotate", "ECS", "--reason", "")[0] == 2
