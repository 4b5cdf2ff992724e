"""The CLI in-process against a real database: output, --json and the exit-code contract."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def issued(cli):
    assert cli("db", "upgrade")[0] == 0
    code, out, _ = cli("cardholder", "add", "--given-names", "Ann", "--surname", "Núñez", "--json")
    holder = json.loads(out)["id"]
    code, out, err = cli(
        "card",
        "issue",
        "--cardholder",
        str(holder),
        "--scheme",
        "ECS",
        "--card-type",
        "INSTALLATION_ELECTRICIAN",
        "--json",
    )
    assert code == 0, err
    return json.loads(out)


def test_issue_show_and_lifecycle(cli, issued):
    number = issued["number"]
    assert issued["state"] == "valid" and number.startswith("ECS")
    code, out, _ = cli("card", "show", number.lower(), "--json")
    assert code == 0 and json.loads(out)["holder_name"] == "Ann Núñez"
    code, out, _ = cli("card", "suspend", number, "--reason", "audit", "--json")
    assert json.loads(out)["state"] == "suspended"
    assert cli("card", "reinstate", number)[0] == 0
    code, out, _ = cli("card", "revoke", number, "--reason", "forged", "--json")
    assert (code, json.loads(out)["state"]) == (0, "revoked")
    code, _, err = cli("card", "reinstate", number)
    assert code == 2 and "revoked: it cannot be reinstated" in err


def test_bad_input_exits_2_with_a_message_and_changes_nothing(cli, issued):
    number = issued["number"]
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    code, _, err = cli("card", "show", wrong)
    assert code == 2 and "check digit" in err
    code, _, err = cli("card", "revoke", number, "--reason", "   ")
    assert code == 2 and "reason is required" in err
    assert cli("card", "revoke", number)[0] == 2  # --reason missing: a usage error
    code, _, err = cli("card", "show", number, "--scheme", "NOPE")
    assert code == 2 and "no scheme" in err
    code, _, err = cli("card", "replace", number, "--reason", "bored")
    assert code == 2 and "lost, stolen, damaged" in err
    code, out, _ = cli("card", "show", number, "--json")
    assert json.loads(out)["state"] == "valid"


def test_users_and_tokens(cli, issued):
    code, out, _ = cli(
        "user",
        "add",
        "admin@example.test",
        "--role",
        "scheme_admin",
        "--scheme",
        "ECS",
        "--password",
        "a long password",
        "--json",
    )
    assert code == 0 and json.loads(out)["role"] == "scheme_admin"
    code, _, err = cli(
        "user", "add", "admin@example.test", "--role", "hub_admin", "--password", "a long password"
    )
    assert code == 2 and "already exists" in err
    code, _, err = cli(
        "user", "add", "x@example.test", "--role", "wizard", "--password", "a long password"
    )
    assert code == 2 and "role must be one of" in err
    code, _, err = cli(
        "user", "add", "y@example.test", "--role", "scheme_admin", "--password", "a long password"
    )
    assert code == 2 and "needs a scheme" in err
    code, out, _ = cli("user", "token", "admin@example.test", "--json")
    assert code == 0 and json.loads(out)["token"].startswith("sc_")
    code, _, err = cli("user", "token", "nobody@example.test")
    assert code == 2 and "no user" in err


def test_audit_verify_finds_the_altered_row(cli, issued, engine):
    code, out, _ = cli("audit", "verify", "--json")
    report = json.loads(out)
    assert code == 0 and report["intact"] and report["events"] >= 3
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_events SET actor = 'someone else' WHERE seq = 2")
    code, out, _ = cli("audit", "verify", "--json")
    assert code == 1 and json.loads(out)["first_broken"]["seq"] == 2
    code, _, err = cli("audit", "verify")
    assert code == 1 and "Broken at event 2" in err


def test_every_command_has_help(cli):
    for command in (
        ["card", "show"],
        ["card", "revoke"],
        ["seed"],
        ["serve"],
        ["demo"],
        ["db", "upgrade"],
        ["user", "add"],
        ["audit", "verify"],
    ):
        code, out, _ = cli(*command, "--help")
        assert code == 0 and "Usage" in out
