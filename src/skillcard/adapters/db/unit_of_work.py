"""The unit of work on SQLAlchemy: one session, one transaction, translated errors."""

from __future__ import annotations

import re
from types import TracebackType
from typing import Self

from sqlalchemy import exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from skillcard.adapters.db import (
    account_repositories,
    business_repositories,
    check_repositories,
    feed_repositories,
    hse_repositories,
    key_repositories,
    mycard_repositories,
    open_credential_repositories,
    outbox_repositories,
    password_repositories,
)
from skillcard.adapters.db import repositories as repos
from skillcard.adapters.db.bulk import bulk_writer
from skillcard.adapters.db.mapping import start_mappers
from skillcard.adapters.jobs import job_queue_for
from skillcard.config import DEFAULT_SECRET
from skillcard.errors import Conflict
from skillcard.services.ports.registry import BulkRows
from skillcard.services.unit_of_work import AbstractUnitOfWork

_CONSTRAINT = re.compile(r"(uq_\w+|fk_\w+|pk_\w+|ck_\w+)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")
_READABLE = {
    "uq_cards_scheme_id_number": "a card with that number already exists in this scheme",
    "uq_users_email": "a user with that e-mail address already exists",
    "uq_schemes_code": "a scheme with that code already exists",
    "uq_schemes_number_prefix": "another scheme already uses that card number prefix",
    "uq_card_types_scheme_id_code": "the scheme already has a card type with that code",
    "uq_memberships_institute_code_number": "that membership number is already registered",
    "uq_cpd_audits_scheme_id_year": "that scheme's CPD audit for the year is already sampled",
    "uq_cpd_audit_cases_audit_id_cardholder_id": "that holder is already in this CPD audit",
    "uq_qualification_reviews_held_qualification_id": "that qualification is already reviewed",
    "ck_cpd_records_minutes_in_a_day": "CPD hours must be more than 0 and at most 24 a day",
    "uq_hse_items_code_version": "that version of the item is already in the bank",
    "uq_audit_checkpoints_seq": "another process signed the audit chain's head just now",
    "uq_hse_conflicts_invigilator_user_id_cardholder_id": (
        "you have already declared a conflict with this candidate"
    ),
    "uq_hse_adjustments_cardholder_id": "the candidate already has adjustments: change them",
    # Business Check
    "uq_businesses_company_number": "a business with that company registration number is "
    "registered",
    "uq_workforce_entries_business_id_card_id": "that card is already in your workforce",
}


def _read_only(engine: Engine) -> Engine:
    """The engine's read-only twin, made once and kept on the engine: ``execution_options``
    builds a new engine object on every call, a measurable part of a small request."""
    twin: Engine | None = getattr(engine, "_skillcard_read_only", None)
    if twin is None:
        twin = engine.execution_options(read_only=True)
        engine._skillcard_read_only = twin  # type: ignore[attr-defined]
    return twin


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    def __init__(
        self, engine: Engine, *, read_only: bool = False, secret_key: str = DEFAULT_SECRET
    ) -> None:
        start_mappers()
        self.secret_key = secret_key
        # A plain Session, not a sessionmaker: each sessionmaker makes a Session subclass and
        # its event registry, which cost more than a whole indexed query (seen in profiles).
        self._bind = _read_only(engine) if read_only else engine
        self.session: Session | None = None

    def __enter__(self) -> Self:
        self.session = Session(bind=self._bind, expire_on_commit=False)
        s = self.session
        self.schemes = repos.SchemeRepository(s)
        self.card_types = repos.CardTypeRepository(s)
        self.occupations = repos.OccupationRepository(s)
        self.reference = repos.ReferenceRepository(s)
        self.cardholders = repos.CardholderRepository(s)
        self.cards = repos.CardRepository(s)
        self.users = account_repositories.UserRepository(s)
        self.credentials = account_repositories.CredentialRepository(s)
        self.audit = repos.AuditRepository(s)
        self.checks = check_repositories.CheckRepository(s)
        self.rate_limits = check_repositories.RateLimitRepository(s)
        self.signing_keys = key_repositories.SigningKeyRepository(s)
        self.status_lists = key_repositories.StatusListRepository(s)
        self.outbox = outbox_repositories.OutboxRepository(s)
        self.hse_records = outbox_repositories.HseRecordRepository(s)
        self.jobs = job_queue_for(s)
        for area in (
            business_repositories,
            feed_repositories,
            hse_repositories,
            mycard_repositories,
            open_credential_repositories,
            password_repositories,
        ):
            area.attach(self, s)
        return super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed, and, unlike rollback(), leaves what
        # was read loaded, so a service can return the objects it read.
        self._session().close()
        if isinstance(exc_value, exc.IntegrityError):
            raise translate_integrity_error(exc_value) from exc_value

    def bulk_rows(self) -> BulkRows:
        return bulk_writer(self._session().connection())

    def commit(self) -> None:
        session = self._session()
        try:
            session.commit()
        except exc.IntegrityError as error:
            session.rollback()
            raise translate_integrity_error(error) from error

    def rollback(self) -> None:
        self._session().rollback()

    def _session(self) -> Session:
        if self.session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self.session


def translate_integrity_error(error: exc.IntegrityError) -> Conflict:
    """A 409 with words a person understands, whichever database refused the change."""
    text = str(error.orig)
    name = _constraint_name(text)
    if name in _READABLE:
        return Conflict(_READABLE[name])
    return Conflict(f"the change conflicts with stored data: {text.splitlines()[0]}")


def _constraint_name(text: str) -> str:
    found = _CONSTRAINT.search(text)
    if found:  # PostgreSQL names the constraint
        return found.group(1)
    sqlite = _SQLITE_UNIQUE.search(text)  # SQLite names the columns: rebuild our name
    if sqlite:
        columns = [part.strip().split(".") for part in sqlite.group(1).split(",")]
        return "uq_" + columns[0][0] + "_" + "_".join(col for _table, col in columns)
    return ""
