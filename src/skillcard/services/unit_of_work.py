"""The unit of work the services ask for: repositories plus one transaction.

    with uow:
        card = uow.cards.by_number(...)
        card.revoke(reason=...)
        record(uow, ...)          # the audit event rides in the same transaction
        uow.commit()

Leaving the block without ``commit()`` rolls everything back. Each repository is declared by
its port (:mod:`skillcard.services.ports`): the services know what a repository promises,
never how it is stored.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self, TypeVar

from skillcard.errors import NotFound
from skillcard.services.ports import accounts as acc
from skillcard.services.ports import business as biz
from skillcard.services.ports import checks as chk
from skillcard.services.ports import federation as fed
from skillcard.services.ports import hse, keys
from skillcard.services.ports import mycard as my
from skillcard.services.ports import open_credentials as oc
from skillcard.services.ports import outbox as out
from skillcard.services.ports import registry as reg
from skillcard.services.ports.jobs import JobQueue

T = TypeVar("T")


class AbstractUnitOfWork(abc.ABC):
    # the registry
    schemes: reg.Schemes
    card_types: reg.CardTypes
    occupations: reg.Occupations
    reference: reg.Reference
    cardholders: reg.Cardholders
    cards: reg.Cards
    audit: reg.Audit
    # accounts
    users: acc.Users
    credentials: acc.Credentials
    password_resets: acc.PasswordResets
    # Smart Check
    checks: chk.Checks
    rate_limits: chk.RateLimits
    # trust
    signing_keys: keys.SigningKeys
    status_lists: keys.StatusLists
    # the outbox and the job queue
    outbox: out.Outbox
    jobs: JobQueue  # jobs enqueued in this transaction
    # Business Check
    businesses: biz.Businesses
    business_tokens: biz.BusinessTokens
    workforce: biz.Workforce
    business_checks: biz.BusinessChecks
    bulk_jobs: biz.BulkJobs
    webhook_deliveries: biz.WebhookDeliveries
    # federation: the card change feed and the schemes' webhooks
    card_changes: fed.CardChanges
    scheme_webhooks: fed.SchemeWebhooks
    # the health, safety and environment test
    hse_records: hse.HseRecords
    hse_assessments: hse.Assessments
    hse_items: hse.Items
    hse_attempts: hse.Attempts
    hse_events: hse.InvigilationEvents
    hse_adjustments: hse.Adjustments
    hse_conflicts: hse.Conflicts
    # MyCard
    cpd: my.Cpd
    evidence: my.Evidence
    applications: my.Applications
    qualification_reviews: my.QualificationReviews
    cpd_audits: my.CpdAudits
    pqp_memberships: my.PqpMemberships
    scheme_facts: my.SchemeFacts
    # open credentials
    badge_entries: oc.BadgeEntries
    share_links: oc.ShareLinks
    # The master secret that seals the signing keys (adapters/keys.py), given by whoever made
    # this unit of work from their settings (web/app.py, cli/common.py), never read globally.
    secret_key: str

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def bulk_rows(self) -> reg.BulkRows:
        """A writer of raw rows sharing this transaction (only a database's unit of work has
        one)."""
        raise NotImplementedError(f"{type(self).__name__} writes no rows in bulk")

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


def on_record(thing: T | None, what: str) -> T:
    """``thing`` read by a key the registry holds itself (a card's scheme, a check's card): a
    missing one is a broken reference, said as a clear error rather than an AttributeError
    on None further on."""
    if thing is None:
        raise NotFound(f"{what} is not on record")
    return thing
