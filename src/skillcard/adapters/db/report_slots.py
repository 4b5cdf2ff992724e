"""How many reports every process on one PostgreSQL builds at once: ``size`` advisory locks,
each held for one build by a transaction of its own, so a crashed process gives its slot back
when its connection goes. SQLite is one machine's embedded database: the process's own slots
(services.reports.BuildSlots) are the whole limit there."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from skillcard.adapters.db.dialect import is_postgresql
from skillcard.errors import RateLimited

# The first key of the two-key advisory lock: "rprt", so it meets no other lock of ours.
LOCK_CLASS = 0x72707274


class DatabaseBuildSlots:
    def __init__(self, engine: sa.Engine, size: int) -> None:
        self.engine, self.size = engine, size

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        if not is_postgresql(self.engine):
            yield
            return
        with self.engine.connect() as connection:
            for slot in range(self.size):
                taken = connection.scalar(
                    sa.text("SELECT pg_try_advisory_xact_lock(:kind, :slot)"),
                    {"kind": LOCK_CLASS, "slot": slot},
                )
                if taken:
                    yield  # closing the connection ends its transaction, and the lock
                    return
        raise RateLimited(
            f"{self.size} reports are being made just now: try again in a minute",
            retry_after=60,
        )
