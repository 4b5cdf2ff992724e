"""The schema, as SQLAlchemy Core tables. Alembic migrations are written to match it.

Integrity lives here as named constraints, so a violation can be reported by name (409).
"""

from __future__ import annotations

import sqlalchemy as sa

from skillcard.adapters.db.aware_datetime import AwareDateTime
from skillcard.domain.accounts import Role
from skillcard.domain.cards import CardStatus
from skillcard.domain.checks import CheckMethod, CheckOutcome
from skillcard.domain.schemes import CardCategory

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _enum(enum_class: type) -> sa.Enum:
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
    )


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


schemes = sa.Table(
    "schemes",
    metadata,
    _id(),
    sa.Column("code", sa.String(20), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("operator", sa.String(300), nullable=False, default=""),
    sa.Column("number_prefix", sa.String(6), nullable=False, unique=True),
    sa.Column("number_digits", sa.Integer, nullable=False),
    sa.Column("trade", sa.String(300), nullable=False, default=""),
    sa.Column("website", sa.String(200), nullable=False, default=""),
    sa.Column("sample", sa.Boolean, nullable=False, default=False),
    sa.Column("source", sa.Text, nullable=False, default=""),
)

card_types = sa.Table(
    "card_types",
    metadata,
    _id(),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), nullable=False),
    sa.Column("code", sa.String(60), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("category", _enum(CardCategory), nullable=False),
    sa.Column("colour", sa.String(100), nullable=False, default=""),
    sa.Column("validity_months", sa.Integer, nullable=False),
    sa.Column("cpd_target_hours", sa.Integer, nullable=False, default=0),
    sa.Column("renewable", sa.Boolean, nullable=False, default=True),
    sa.Column("sample", sa.Boolean, nullable=False, default=False),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.UniqueConstraint("scheme_id", "code"),
)

occupations = sa.Table(
    "occupations",
    metadata,
    _id(),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), nullable=False),
    sa.Column("code", sa.String(60), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("card_type_id", sa.ForeignKey("card_types.id"), nullable=False),
    sa.UniqueConstraint("scheme_id", "code"),
)

qualifications = sa.Table(
    "qualifications",
    metadata,
    sa.Column("code", sa.String(60), primary_key=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("level", sa.String(40), nullable=False, default=""),
    sa.Column("awarding_body", sa.String(200), nullable=False, default=""),
    sa.Column("tags", sa.String(200), nullable=False, default=""),
    sa.Column("sample", sa.Boolean, nullable=False, default=False),
)

institutes = sa.Table(
    "institutes",
    metadata,
    sa.Column("code", sa.String(20), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("membership_pattern", sa.String(200), nullable=False),
    sa.Column("qualifying_grades", sa.String(500), nullable=False, default=""),
    sa.Column("recognised_for", sa.String(100), nullable=False, default=""),
    sa.Column("sample", sa.Boolean, nullable=False, default=False),
    sa.Column("source", sa.Text, nullable=False, default=""),
)

cardholders = sa.Table(
    "cardholders",
    metadata,
    _id(),
    sa.Column("given_names", sa.String(100), nullable=False),
    sa.Column("surname", sa.String(100), nullable=False),
    sa.Column("surname_key", sa.String(100), nullable=False),
    sa.Column("date_of_birth", sa.Date),
    sa.Column("email", sa.String(254)),
    sa.Column("photo_sha256", sa.String(64)),
    # text_pattern_ops lets PostgreSQL use the index for "starts with" as well as equality;
    # SQLite does the same with case_sensitive_like (see engine.py).
    sa.Index(
        "ix_cardholders_surname_key",
        "surname_key",
        postgresql_ops={"surname_key": "text_pattern_ops"},
    ),
    # Whose photo this is, when an admin asks for /photos/<sha256> (migration 0004).
    sa.Index("ix_cardholders_photo_sha256", "photo_sha256"),
)

held_qualifications = sa.Table(
    "held_qualifications",
    metadata,
    _id(),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, index=True),
    sa.Column("qualification_code", sa.ForeignKey("qualifications.code"), nullable=False),
    sa.Column("achieved_on", sa.Date, nullable=False),
    sa.Column("certificate_number", sa.String(100), nullable=False, default=""),
    sa.Column("verified", sa.Boolean, nullable=False, default=False),
)

memberships = sa.Table(
    "memberships",
    metadata,
    _id(),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, index=True),
    sa.Column("institute_code", sa.ForeignKey("institutes.code"), nullable=False),
    sa.Column("number", sa.String(40), nullable=False),
    sa.Column("grade", sa.String(100), nullable=False),
    sa.Column("verified", sa.Boolean, nullable=False, default=False),
    sa.Column("lapsed_on", sa.Date),
    sa.UniqueConstraint("institute_code", "number"),
)

cards = sa.Table(
    "cards",
    metadata,
    _id(),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), nullable=False),
    sa.Column("card_type_id", sa.ForeignKey("card_types.id"), nullable=False),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, index=True),
    sa.Column("occupation_id", sa.ForeignKey("occupations.id")),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("expires_on", sa.Date, nullable=False),
    sa.Column("status", _enum(CardStatus), nullable=False),
    sa.Column("status_reason", sa.String(500), nullable=False, default=""),
    sa.Column("replaces_card_id", sa.ForeignKey("cards.id")),
    sa.UniqueConstraint("scheme_id", "number"),
    # A scheme's cards by status: what a status list is built from.
    sa.Index("ix_cards_scheme_id_status", "scheme_id", "status"),
)

# The next serial each scheme will give a card: a row lock here, not a scan of cards.
card_number_serials = sa.Table(
    "card_number_serials",
    metadata,
    sa.Column("scheme_id", sa.ForeignKey("schemes.id"), primary_key=True),
    sa.Column("next_serial", sa.Integer, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("role", _enum(Role), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("scheme_id", sa.ForeignKey("schemes.id")),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id")),
    sa.Column("business_id", sa.ForeignKey("businesses.id")),  # tables_business.py
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("expires_at", AwareDateTime(), nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("expires_at", AwareDateTime(), nullable=False),
    sa.Column("revoked_at", AwareDateTime()),
    sa.Column("last_used_at", AwareDateTime()),  # to the minute (migration 0015)
)

# Password reset links (accounts-passwords): only the SHA-256 of the e-mailed secret.
password_resets = sa.Table(
    "password_resets",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("expires_at", AwareDateTime(), nullable=False),
    sa.Column("used_at", AwareDateTime()),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    _id(),
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("occurred_at", AwareDateTime(), nullable=False),
    sa.Column("actor", sa.String(254), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("entity_type", sa.String(40), nullable=False),
    sa.Column("entity_id", sa.String(60), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False, default=""),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),
)

# One row: the chain's last link. Appending locks it, so appends from many processes queue.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# The hub's signed checkpoints of the chain's head (domain/audit_checkpoints.py): one per
# sequence number; ``document`` is the signed statement as published.
audit_checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    _id(),
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("made_at", AwareDateTime(), nullable=False),
    sa.Column("kid", sa.String(32), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
)

# The check log: every check of a card, by anyone, by any method (see domain/checks.py).
_SIGNED_IN = sa.text("checker_user_id IS NOT NULL")
checks = sa.Table(
    "checks",
    metadata,
    _id(),
    sa.Column("checked_at", AwareDateTime(), nullable=False),
    sa.Column("method", _enum(CheckMethod), nullable=False),
    sa.Column("outcome", _enum(CheckOutcome), nullable=False),
    # No foreign keys to cards and schemes: checking one locks the row it points at, a write
    # into the cards table per check (migration 0012 says more). Neither is ever deleted.
    sa.Column("card_id", sa.Integer),
    sa.Column("scheme_id", sa.Integer),
    sa.Column("checker_user_id", sa.ForeignKey("users.id")),
    sa.Column("client_key", sa.String(64)),  # HMAC of an anonymous client's address
    sa.Column("site", sa.String(200)),
    sa.Column("synced_at", AwareDateTime()),  # when an offline check arrived
    sa.Column("warnings", sa.Text, nullable=False, default=""),
    sa.Index("ix_checks_card_id_checked_at", "card_id", "checked_at"),
    # Anonymous checks (most) have no entry: nothing looks them up by a missing checker.
    sa.Index(
        "ix_checks_checker_user_id_checked_at",
        "checker_user_id",
        "checked_at",
        postgresql_where=_SIGNED_IN,
        sqlite_where=_SIGNED_IN,
    ),
)

# Fixed-window rate counters shared by every server process (when Redis is not used).
rate_limit_counters = sa.Table(
    "rate_limit_counters",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("window_start", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("count", sa.Integer, nullable=False),
)

# E-mail waits here until it is sent (see services/outbox/outbox.py): written in the transaction of
# the change it announces, so an e-mail is never sent about something that rolled back. A
# dedupe key makes "send this digest once" hold however often the sender runs.
outbox_messages = sa.Table(
    "outbox_messages",
    metadata,
    _id(),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("to_address", sa.String(254), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("dedupe_key", sa.String(200), unique=True),
    sa.Column("sent_at", AwareDateTime()),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=False, default=""),
    sa.Index("ix_outbox_messages_sent_at_id", "sent_at", "id"),
    sa.Index("ix_outbox_messages_to_address", "to_address"),
)

# A Health, Safety and Environmental assessment pass, from a verified attempt or entered by a
# scheme admin from a test-centre result; the eligibility rules read these.
hse_records = sa.Table(
    "hse_records",
    metadata,
    _id(),
    sa.Column("cardholder_id", sa.ForeignKey("cardholders.id"), nullable=False, index=True),
    sa.Column("passed_on", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("score", sa.Integer),
    sa.Column("out_of", sa.Integer),
    sa.Column("source", sa.String(20), nullable=False),  # "assessment" or "admin_entry"
    sa.Column("attempt_id", sa.Integer),
    sa.Column("recorded_by", sa.String(254), nullable=False),
    sa.Column("recorded_at", AwareDateTime(), nullable=False),
)

# Each area's tables live in their own module on this metadata; importing them here means
# whoever reads ``tables.metadata`` (mappers, migrations, their test) sees the whole schema.
from skillcard.adapters.db import (  # noqa: E402,F401
    tables_business,
    tables_feed,
    tables_files,
    tables_hse,
    tables_jobs,
    tables_mycard,
    tables_open_credentials,
    tables_trust,
)
