"""The unit of work the services ask for: repositories plus one transaction.

    with uow:
        card = uow.cards.by_number(...)
        card.revoke(reason=...)
        record(uow, ...)          # the audit event rides in the same transaction
        uow.commit()

Leaving the block without ``commit()`` rolls everything back.
"""

from __future__ import annotations

import abc
from typing import Self


class AbstractUnitOfWork(abc.ABC):
    schemes: object
    card_types: object
    occupations: object
    reference: object
    cardholders: object
    cards: object
    users: object
    credentials: object
    audit: object
    checks: object
    rate_limits: object
    signing_keys: object
    status_lists: object
    outbox: object
    hse_records: object
    jobs: object  # services.jobs.JobQueue: jobs enqueued in this transaction
    # The master secret that seals the signing keys (adapters/keys.py), given by whoever made
    # this unit of work from their settings (web/app.py, cli/common.py), never read globally.
    secret_key: str

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...
