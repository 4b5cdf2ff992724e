"""An in-memory unit of work for service tests whose point is a rule, not the database.

A test gives it only the repositories its service reads, each a small fake written for the
test (the ports in ``skillcard.services.ports`` say what each must answer); a repository the
service was not expected to touch is missing, and touching it fails the test at once. The
real unit of work is exercised on both databases by the integration tests.
"""

from __future__ import annotations

from typing import Any

from skillcard.services.unit_of_work import AbstractUnitOfWork


class FakeUnitOfWork(AbstractUnitOfWork):
    def __init__(self, **repositories: Any) -> None:
        for name, repository in repositories.items():
            setattr(self, name, repository)
        self.commits = 0
        self.rollbacks = 0

    def __getattr__(self, name: str) -> Any:
        # Only reached for what the test did not give (declared ports are annotations only).
        raise AssertionError(f"the service used uow.{name}, which this test did not expect")

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1
