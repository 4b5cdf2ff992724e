"""Settings: one object, read from environment variables prefixed ``SKILLCARD_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from skillcard.adapters.passwords import Argon2Passwords

DEFAULT_SECRET = "development-only-secret-change-me"
MIN_SECRET_LENGTH = 32  # what `secrets.token_urlsafe(24)` gives: 192 bits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SKILLCARD_", extra="ignore")

    environment: str = Field("development", description="development, test or production")
    database_url: str = "sqlite:///skillcard.db"
    # A PostgreSQL streaming replica of database_url, optional: public checks, the verifier
    # bundle and searches read from it, and go on answering from it while the primary is down
    # (their check log lines wait in check_spool, on this host, until the primary is back).
    read_database_url: str | None = None
    # A replica further behind than this is not read: its reads go to the primary until it
    # catches up (a card just revoked must not be answered from before the revocation).
    read_max_lag_seconds: float = Field(5.0, gt=0, le=3600)
    check_spool: Path = Path("check-spool.db")
    secret_key: str = DEFAULT_SECRET
    # Where `skillcard demo` keeps the secret it generates, so later commands (and server
    # processes) can still open the signing keys it sealed. Used only when no key is set.
    secret_file: Path = Path("skillcard.secret")
    files_dir: Path = Path("files")
    # Where files are kept: ``local`` (under files_dir, on this host) or ``database`` (in the
    # database, shared by every host on it: choose it for more than one server).
    file_store: Literal["local", "database"] = "local"
    session_hours: float = 12.0
    # Web security (security headers, cookies): cookies are sent over HTTPS only, unless set
    # false; by default false in development and test only (see _cookies_secure_outside_dev).
    cookie_secure: bool = True
    # Accounts: API tokens and sign-in throttling (services/accounts/api_tokens.py,
    # sign_in_throttle.py).
    # A new token lasts this many days unless asked otherwise; never more than a year.
    api_token_days: int = Field(90, ge=1, le=365)
    # Sign-in attempts (pages and POST /api/v1/tokens) per account per client address: past the
    # first number in a minute the client waits out the minute; past the second in an hour it
    # is refused for the hour and pointed at the password reset. Success clears both.
    sign_in_slow_after: int = Field(5, ge=1)
    sign_in_lock_after: int = Field(20, ge=1)
    # Per client address, whatever the account (one address spraying many accounts).
    sign_in_address_per_minute: int = Field(30, ge=1)
    sign_in_address_per_hour: int = Field(200, ge=1)
    # Per account, whatever the address: many addresses guessing one password. Kept short,
    # so an attack closes the account to everyone for at most this window (the set delay).
    sign_in_account_limit: int = Field(50, ge=1)
    sign_in_account_window_seconds: int = Field(60, ge=1, le=3600)
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
    # Reports of suspect cards per hour: from one anonymous client, and from one signed-in user.
    suspect_report_rate_limit: int = Field(5, ge=1)
    suspect_report_signed_in_rate_limit: int = Field(60, ge=1)
    # How long each kind of file is kept (domain/retention.py; purged by the daily periodic
    # job `files.purge`, or `skillcard files purge`). A bulk check's upload goes when its job
    # ends. Its result file (names of card holders) goes this many days after it finished:
    bulk_result_days: int = Field(30, ge=1, le=3650)
    # An HSE attempt's webcam snapshots and identity photos go this many days after its
    # invigilation review was decided (the window in which the candidate may appeal).
    snapshot_appeal_days: int = Field(30, ge=1, le=3650)
    # Audit anchoring: `skillcard serve` signs a checkpoint of the audit chain's head this
    # often (only when the chain moved since the last); 0 leaves it to `audit checkpoint`.
    audit_checkpoint_minutes: int = Field(60, ge=0, le=7 * 24 * 60)
    # Background jobs (bulk checks, alerts, purges, mail, webhooks). On SQLite they always run
    # in the serving process. On PostgreSQL, `skillcard worker` runs them; set this true to run
    # a worker inside each serving process as well (one host, no worker to start).
    jobs_in_process: bool = False
    # A worker that has not beaten for this long is taken for dead: its jobs run again.
    job_stalled_seconds: float = Field(30.0, ge=1, le=3600)
    job_poll_seconds: float = Field(1.0, gt=0, le=60)  # the embedded queue's poll
    # Outbound calls (webhooks) and report caps (issue 14): a webhook call gives up quickly and
    # is tried again later, doubling the wait; a PDF lists at most so many checks (the CSV has
    # them all), and a process, and every process on one PostgreSQL, builds only so many
    # reports at once (429 beyond).
    webhook_connect_timeout: float = Field(3.0, gt=0, le=30)
    webhook_read_timeout: float = Field(5.0, gt=0, le=60)
    webhook_max_attempts: int = Field(6, ge=1, le=20)
    webhook_first_retry_seconds: int = Field(60, ge=1, le=86_400)
    report_pdf_max_rows: int = Field(5_000, ge=1, le=100_000)
    report_builds_at_once: int = Field(2, ge=1, le=32)
    report_builds_in_deployment: int = Field(4, ge=1, le=256)  # all processes on PostgreSQL
    # Password change and reset (accounts-passwords): how long an e-mailed reset link works,
    # and how many resets one client, or one address, may ask for in an hour.
    password_reset_minutes: int = Field(60, ge=5, le=1440)
    password_reset_rate_limit: int = Field(5, ge=1)
    # Trust hardening, status privacy and verification edges: the hub's public key (base64url
    # SEC1, as `skillcard trust export` prints it) that `skillcard verify --bundle` pins when
    # no --hub-key is given. Outside development a bundle is never checked against its own key.
    hub_key: str = ""
    # Holder-bound phone cards (domain/holder_binding.py): how many days a phone's device
    # credential lasts (never past the card's expiry; the phone renews it whenever it is
    # online), and how far, each way, a presentation's time may be from a checker's clock.
    phone_device_days: int = Field(30, ge=1, le=366)
    phone_presentation_window_seconds: int = Field(60, ge=10, le=600)
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

    def presentation_window(self):
        """How far a phone's presentation time may be from a checker's clock."""
        import datetime as dt

        return dt.timedelta(seconds=self.phone_presentation_window_seconds)

    def retention(self):
        from skillcard.domain.retention import Retention

        return Retention(
            result_days=self.bulk_result_days, snapshot_appeal_days=self.snapshot_appeal_days
        )

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

    @model_validator(mode="after")
    def _cookies_secure_outside_dev(self) -> Settings:
        if "cookie_secure" not in self.model_fields_set:
            self.cookie_secure = not self.is_development
        return self

    @property
    def is_development(self) -> bool:
        return self.environment in ("development", "test")

    @property
    def shows_outbox(self) -> bool:
        """In development and demos there is no real mail: the outbox page shows it."""
        return self.is_development and not self.smtp_host

    def passwords(self) -> Argon2Passwords:
        """The password hasher these settings call for: Argon2id, at its cheapest profile only
        in tests (which sign in hundreds of times)."""
        from skillcard.adapters.passwords import Argon2Passwords

        return Argon2Passwords(cheapest=self.environment == "test")

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

    def unsafe_for_production(self) -> list[str]:
        """What makes these settings unsafe to serve outside development, one line each
        (none in development or test). ``skillcard serve`` refuses to start on any."""
        if self.is_development:
            return []
        problems = []
        if self.secret_key in ("", DEFAULT_SECRET):
            problems.append("SKILLCARD_SECRET_KEY is missing or is the development default")
        elif len(self.secret_key) < MIN_SECRET_LENGTH:
            problems.append(f"SKILLCARD_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters")
        if not self.cookie_secure:
            problems.append(
                "SKILLCARD_COOKIE_SECURE is false: sign-in cookies would travel over plain HTTP"
            )
        if not self.public_url.lower().startswith("https://"):
            problems.append(
                f"SKILLCARD_PUBLIC_URL ({self.public_url}) is not https://: links in e-mails "
                "would send people to plain HTTP"
            )
        if self.database_url.lower().startswith("sqlite"):
            problems.append(
                "SKILLCARD_DATABASE_URL is SQLite: production runs on PostgreSQL (a SQLite "
                "file sits wherever the server was started, with the sealed signing keys, "
                "sessions and audit log in it, on one host, with no replica)"
            )
        return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
