"""Port of the job queue a service enqueues background work on (:mod:`skillcard.services.jobs`)."""

from __future__ import annotations

from typing import Any, Protocol


class JobQueue(Protocol):
    def enqueue(self, name: str, args: dict[str, Any]) -> None:
        """Queue job ``name`` in the unit of work's transaction: it exists once that commits,
        never if it rolls back."""
        ...

    def enqueue_unless_waiting(self, name: str, args: dict[str, Any]) -> None:
        """Queue job ``name`` in the transaction unless one of that name is already waiting
        (queued, not started): at most one waits, however many changes ask. One that is
        already running does not count (it may have looked before this change committed)."""
        ...
