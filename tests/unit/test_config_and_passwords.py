"""Settings refuse unsafe secrets outside development; Argon2 hashes really verify."""

from __future__ import annotations

import pytest

from skillcard.adapters.passwords import Argon2Passwords
from skillcard.config import DEFAULT_SECRET, Settings


@pytest.mark.parametrize("secret", ["", DEFAULT_SECRET])
def test_production_refuses_a_missing_or_default_secret(secret):
    with pytest.raises(RuntimeError, match="SKILLCARD_SECRET_KEY"):
        Settings(environment="production", secret_key=secret).check_safe_to_serve()


def test_development_and_a_real_secret_are_accepted():
    Settings(environment="development").check_safe_to_serve()
    Settings(environment="production", secret_key="x" * 48).check_safe_to_serve()


def test_settings_come_from_skillcard_variables(monkeypatch):
    monkeypatch.setenv("SKILLCARD_DATABASE_URL", "postgresql+psycopg://db/skillcard")
    monkeypatch.setenv("SKILLCARD_SESSION_HOURS", "2")
    settings = Settings()
    assert (settings.database_url, settings.session_hours) == (
        "postgresql+psycopg://db/skillcard",
        2.0,
    )


def test_argon2_verifies_the_right_password_only():
    passwords = Argon2Passwords()
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterx")
    assert not passwords.verify(None, "anything")  # unknown user: the decoy is checked
    assert not passwords.verify("not a hash", "anything")
