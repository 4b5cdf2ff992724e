"""A newcomer's first hour, from a fresh clone of the committed code, following the README.

The clone reuses the running virtual environment (its ``.venv`` is a link to it, and make is
told not to set up again), so this stays quick: what is tested is what a newcomer types.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_serve import _free_port

ROOT = Path(__file__).resolve().parents[2]
SKILLCARD = [sys.executable, "-m", "skillcard.cli"]
# `make` without its setup step: the venv is the running one, already installed.
MAKE = ["make", "--no-print-directory", "-o", "setup"]


@pytest.fixture(scope="module")
def newcomer_env() -> dict[str, str]:
    """The environment of someone who has set nothing: no SKILLCARD_ variable at all."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SKILLCARD_")}


@pytest.fixture
def clone(tmp_path) -> Path:
    """A fresh clone of the committed code (HEAD), as a newcomer gets it (a second or so)."""
    folder = tmp_path / "skillcard"
    subprocess.run(
        ["git", "clone", "--quiet", str(ROOT), str(folder)], check=True, capture_output=True
    )
    (folder / ".venv").symlink_to(Path(sys.prefix))
    return folder


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text  # one clear line, no traceback
    return lines[0]


def test_the_readme_says_how_to_reach_the_command_and_where_the_database_is(clone):
    readme = (clone / "README.md").read_text()
    assert ".venv/bin/skillcard" in readme and "source .venv/bin/activate" in readme
    assert "make demo PORT=" in readme and "skillcard --version" in readme
    assert "`skillcard.db` in the folder you run from" in readme


def test_a_command_in_an_empty_folder_says_what_to_do_in_one_line(tmp_path, newcomer_env):
    done = _run([*SKILLCARD, "check", "ECS00012344", "--surname", "Smith"], tmp_path, newcomer_env)
    assert done.returncode == 2 and done.stdout == ""
    line = _one_line(done.stderr)
    assert str(tmp_path / "skillcard.db") in line and "skillcard db upgrade" in line
    assert list(tmp_path.iterdir()) == []  # no empty skillcard.db left behind


def test_make_demo_on_a_taken_port_says_so_before_loading_anything(clone, newcomer_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run([*MAKE, "demo", f"PORT={port}"], clone, newcomer_env)
    assert done.returncode != 0
    # make's own "Error 2" line (make[1] under another make, as in `make test`) aside
    said = [line for line in done.stderr.splitlines() if not re.match(r"make(\[\d+\])?: ", line)]
    line = _one_line("\n".join(said))
    assert f"Cannot listen on 127.0.0.1:{port}" in line and "PORT=" in line
    assert "Traceback" not in done.stdout + done.stderr
    assert not (clone / "skillcard.db").exists() and not (clone / "skillcard.secret").exists()


def _wait_for(base: str, server: subprocess.Popen, log: Path) -> httpx.Response:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.get(f"{base}/", timeout=2)
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    pytest.fail(f"the server did not answer: {log.read_text()[-2000:]}")


def _serve_then_stop(command, clone, env, tmp_path, stop: signal.Signals) -> str:
    port = _free_port()
    log = tmp_path / f"{command[-1]}-{port}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "--port", str(port)], cwd=clone, env=env, stdout=output, stderr=output
        )
    try:
        assert _wait_for(f"http://127.0.0.1:{port}", server, log).status_code == 200
    finally:
        server.send_signal(stop)
        code = server.wait(timeout=30)
    text = log.read_text()
    assert code == 0 and "Traceback" not in text, text[-2000:]
    return text


def test_the_demo_serves_on_a_free_port_and_the_tour_commands_work(clone, newcomer_env, tmp_path):
    shown = _serve_then_stop([*SKILLCARD, "demo"], clone, newcomer_env, tmp_path, signal.SIGINT)
    assert "Serving on http://127.0.0.1:" in shown and "ecs-admin@demo.skillcard.test" in shown
    with sqlite3.connect(clone / "skillcard.db") as db:  # Ann's card number, as the page shows
        (number,) = db.execute(
            "SELECT cards.number FROM cards JOIN cardholders ON cardholders.id = "
            "cards.cardholder_id WHERE cardholders.surname = 'Núñez-O''Brien'"
        ).fetchone()
    qr = _run([*SKILLCARD, "card", "qr", number, "-o", "ann.png"], clone, newcomer_env)
    assert qr.returncode == 0 and (clone / "ann.png").read_bytes().startswith(b"\x89PNG")
    check = _run([*SKILLCARD, "check", number, "--surname", "nunez-obrien"], clone, newcomer_env)
    assert check.returncode == 0 and "valid" in check.stdout
    version = _run([*SKILLCARD, "--version"], clone, newcomer_env)
    assert version.returncode == 0 and version.stdout.startswith("skillcard ")
    # Served again (as `skillcard serve`), it stops as cleanly on SIGTERM as on Ctrl+C.
    _serve_then_stop([*SKILLCARD, "serve"], clone, newcomer_env, tmp_path, signal.SIGTERM)
