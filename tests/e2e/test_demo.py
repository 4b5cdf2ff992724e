"""`skillcard demo`: a newcomer's first command loads the embedded database, once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SKILLCARD = [sys.executable, "-m", "skillcard.cli"]


def test_demo_loads_every_card_state_and_the_log_ins_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLCARD_")}
    first = subprocess.run(
        [*SKILLCARD, "demo", "--no-serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stderr
    assert "ecs-admin@demo.skillcard.test" in first.stdout
    assert (tmp_path / "skillcard.db").exists()
    secret = tmp_path / "skillcard.secret"  # generated, said so, and private
    assert "Generated a secret key" in first.stdout and secret.stat().st_mode & 0o077 == 0
    assert len(secret.read_text().strip()) >= 48
    again = subprocess.run(
        [*SKILLCARD, "demo", "--no-serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0 and "already loaded" in again.stdout

    def card(holder_surname: str) -> dict:
        holder = subprocess.run(
            [
                *SKILLCARD,
                "cardholder",
                "show",
                str(_holder_id(tmp_path, env, holder_surname)),
                "--json",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(holder.stdout)["cards"][0]

    states = {name: card(name)["state"] for name in ("Smith", "Kowalski", "Patel", "O'Connor")}
    assert states == {
        "Smith": "valid",
        "Kowalski": "expired",
        "Patel": "suspended",
        "O'Connor": "revoked",
    }
    assert card("Smith")["expiring_soon"] is True
    qr = subprocess.run(
        [*SKILLCARD, "card", "qr", card("Smith")["number"], "--text"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert qr.returncode == 0 and qr.stdout.startswith("SC1:")  # the sealed keys open again
    verify = subprocess.run(
        [*SKILLCARD, "audit", "verify", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0 and json.loads(verify.stdout)["intact"]


def _holder_id(directory, env, surname: str) -> int:
    import sqlite3

    with sqlite3.connect(directory / "skillcard.db") as db:
        (holder_id,) = db.execute(
            "SELECT min(id) FROM cardholders WHERE surname = ?", (surname,)
        ).fetchone()
    return holder_id
