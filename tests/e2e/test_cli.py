"""The CLI in-process against a real database: output, --json and the exit-code contract."""

from __future__ import annotations

import json
import os

import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.adapters.db.migrate import current_revision, downgrade
from skillcard.cli import common as cli_common
from skillcard.cli import run
from skillcard.config import get_settings


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


@pytest.fixture
def cli_here(tmp_path, monkeypatch, capsys):
    """The CLI in-process in an empty folder, on the default database (./skillcard.db)."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SKILLCARD_")]:
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    cli_common.engine.cache_clear()

    def invoke(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    yield invoke
    cli_common.engine.cache_clear()
    get_settings.cache_clear()


def test_a_command_in_an_empty_folder_says_to_create_the_database_and_creates_nothing(
    cli_here, tmp_path
):
    for command in (["check", "ECS00012344", "--surname", "Smith"], ["seed", "--cards", "5"]):
        code, out, err = cli_here(*command)
        assert code == 2 and out == ""
        assert err.count("\n") == 1, err  # one line, no traceback
        assert f"no skillcard database at {tmp_path / 'skillcard.db'}" in err
        assert "skillcard db upgrade" in err
    assert not (tmp_path / "skillcard.db").exists()


def test_a_file_that_is_not_a_database_is_said_so(cli_here, tmp_path):
    (tmp_path / "skillcard.db").write_text("notes, not a database\n")
    for command in (["db", "upgrade"], ["keys", "list"]):
        code, _, err = cli_here(*command)
        assert code == 2 and err.count("\n") == 1, err
        assert "cannot open the database at" in err and "not a database" in err


def _user_of_business(connection, business_id: int) -> None:
    connection.execute(
        sa.insert(tables.users),
        {"email": "lost@nowhere.test", "display_name": "Bo", "role": "business_admin",
         "password_hash": "x", "business_id": business_id, "active": True},
    )  # fmt: skip


def test_a_database_behind_the_code_says_to_upgrade_it(cli, engine):
    downgrade(engine, "0012")
    code, out, err = cli("keys", "list", "--json")
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "is at revision 0012, older than" in err and "run `skillcard db upgrade`" in err
    assert cli("db", "upgrade")[0] == 0
    assert cli("keys", "list", "--json")[0] == 0


def test_a_migration_that_refuses_is_one_message_and_exit_2(cli, engine):
    downgrade(engine, "0012")
    with engine.begin() as connection:
        _user_of_business(connection, 999)  # 0013 refuses users of businesses that do not exist
    code, out, err = cli("db", "upgrade")
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "was not upgraded: users [" in err and "do not exist" in err
    assert current_revision(engine) == "0012"
    with engine.begin() as connection:
        connection.execute(sa.delete(tables.users))
    assert cli("db", "upgrade")[0] == 0


def test_help_reads_as_words(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("skillcard ") and out.strip()[-1].isdigit()
    code, out, _ = cli("check", "--help")
    assert code == 0 and "skillcard check [OPTIONS] NUMBER" in out
    assert "<bool>" not in out and "{" not in out and "<str>" not in out
    code, _, err = cli("bulk-check", "staff.csv")  # -o missing: the usage typed, not `run`
    assert code == 2 and "skillcard bulk-check [OPTIONS] SOURCE" in err
    assert "bulk-check run" not in err


def test_a_refused_file_draws_no_progress_bar_first(cli, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, out, err = cli("bulk-check", str(empty), "-o", str(tmp_path / "out.csv"))
    assert code == 2 and "the file is empty" in err and "Checking" not in out + err


def test_links_in_e_mails_follow_the_port_served_unless_the_public_url_is_set(monkeypatch):
    from skillcard.cli.serve import _links_follow_the_port

    monkeypatch.setenv("SKILLCARD_PUBLIC_URL", "set")
    monkeypatch.delenv("SKILLCARD_PUBLIC_URL")  # recorded, so restored after the test
    assert _links_follow_the_port("127.0.0.1", 8017).public_url == "http://127.0.0.1:8017"
    monkeypatch.setenv("SKILLCARD_PUBLIC_URL", "https://cards.example.test")
    get_settings.cache_clear()  # as in a process started with it set
    assert _links_follow_the_port("0.0.0.0", 8017).public_url == "https://cards.example.test"
    get_settings.cache_clear()
