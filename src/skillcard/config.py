"""Settings: one object, read from environment variables prefixed ``SKILLCARD_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SKILLCARD_", extra="ignore")

    environment: str = Field("development", description="development, test or production")
    database_url: str = "sqlite:///skillcard.db"
    secret_key: str = DEFAULT_SECRET
    # Where `skillcard demo` keeps the secret it generates, so later commands (and server
    # processes) can still open the signing keys it sealed. Used only when no key is set.
    secret_file: Path = Path("skillcard.secret")
    files_dir: Path = Path("files")
    session_hours: float = 12.0
    cookie_secure: bool = False
    api_token_days: int = 365
    # Smart Check by number and surname: checks per client per window (anonymous clients are
    # told apart by a keyed hash of their address; signed-in users by their account).
    check_rate_limit_anonymous: int = Field(30, ge=1)
    check_rate_limit_signed_in: int = Field(600, ge=1)
    check_rate_limit_window_seconds: int = Field(60, ge=1, le=86_400)
    redis_url: str | None = Field(None, description="rate counters in Redis, not the database")
    # E-mail: without an SMTP host, messages wait in the outbox (shown at /outbox in a demo).
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65_535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "skillcard <no-reply@skillcard.invalid>"
    # The address links in e-mails point at (confirmations, invitations).
    public_url: str = "http://localhost:8000"
    # Business Check: `skillcard serve` runs the expiry alerts daily at this hour (UTC), unless
    # switched off (e.g. when a cron job runs `skillcard alerts run` instead).
    alerts_daily: bool = True
    alerts_hour_utc: int = Field(6, ge=0, le=23)
    # Business registrations per client per hour (each one e-mails the address it was given).
    registration_rate_limit: int = Field(5, ge=1)
    # Business Check: a bulk check's result file (names of card holders) is deleted this many
    # days after the check finished; `serve` purges daily, or `skillcard bulk-check purge`.
    bulk_result_days: int = Field(30, ge=1, le=3650)
    # Business Check budget (issue 14): one allowance per business of checks by number and
    # surname, whatever the door (single, spot, offline sync, workforce additions, bulk rows).
    # A business not yet approved by the hub admin gets the small one. A burst of answers of
    # no match from one business (so many within so many minutes) is e-mailed to hub admins.
    business_checks_per_minute: int = Field(2_000, ge=1)
    business_checks_per_day: int = Field(100_000, ge=1)
    unapproved_checks_per_minute: int = Field(10, ge=1)
    unapproved_checks_per_day: int = Field(50, ge=1)
    no_match_burst: int = Field(100, ge=1)
    no_match_burst_minutes: int = Field(10, ge=1, le=1440)

    def budget_rules(self):
        from skillcard.domain.business_budget import Allowance, BudgetRules

        return BudgetRules(
            approved=Allowance(self.business_checks_per_minute, self.business_checks_per_day),
            unapproved=Allowance(self.unapproved_checks_per_minute, self.unapproved_checks_per_day),
            burst_no_matches=self.no_match_burst,
            burst_minutes=self.no_match_burst_minutes,
        )

    @model_validator(mode="after")
    def _secret_from_file(self) -> Settings:
        if self.secret_key == DEFAULT_SECRET and self.secret_file.is_file():
            self.secret_key = self.secret_file.read_text().strip() or DEFAULT_SECRET
        return self

    @property
    def is_development(self) -> bool:
        return self.environment in ("development", "test")

    @property
    def shows_outbox(self) -> bool:
        """In development and demos there is no real mail: the outbox page shows it."""
        return self.is_development and not self.smtp_host

    def mailer(self):
        from skillcard.adapters.mail import SmtpMailer

        if not self.smtp_host:
            return None
        return SmtpMailer(
            self.smtp_host,
            self.smtp_port,
            sender=self.mail_from,
            username=self.smtp_username,
            password=self.smtp_password,
            starttls=self.smtp_starttls,
        )

    def check_safe_to_serve(self) -> None:
        """Refuse to run outside development with the well-known default secret."""
        if not self.is_development and self.secret_key in ("", DEFAULT_SECRET):
            raise RuntimeError(
                "SKILLCARD_SECRET_KEY is missing or is the development default; "
                "set a long random secret before running outside development."
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
