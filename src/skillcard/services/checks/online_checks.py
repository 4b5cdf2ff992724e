"""Smart Check by number and surname as the API answers it, on the server's event loop.

The same check as :func:`skillcard.services.checks.checks.check_card`, with the same rules (the
answer is :func:`skillcard.domain.check_judgement.judge`, the log's line
:func:`~skillcard.domain.check_judgement.log_line`), made through a :class:`CheckDesk` instead
of a unit of work: the API's checks come by the thousand a
second, and a worker thread and the ORM per check cost more than the check itself (see
``skillcard.adapters.db.check_desk``). The desk is PostgreSQL's; on SQLite the API uses
:func:`skillcard.services.checks.checks.check_card` in a worker thread.

The difference a reader may meet: here the check's line in the log is stored just after the
answer, with other checks' lines, not in the transaction that read the card.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable
from typing import Protocol

from skillcard.domain.accounts import Principal
from skillcard.domain.calendar import card_day
from skillcard.domain.check_judgement import AsyncCardReader, judge, log_line, surname_key_of
from skillcard.domain.checks import Check, RateLimit, clean_site
from skillcard.domain.schemes import Scheme
from skillcard.services.audit.audit import utcnow
from skillcard.services.checks import rate_limits
from skillcard.services.checks.checks import PublicCheckResult
from skillcard.services.checks.rate_limits import AsyncRateLimiter


class CheckDesk(AsyncCardReader, Protocol):
    async def scheme_for_number(
        self, number: str, scheme_code: str | None
    ) -> tuple[Scheme, str]: ...

    def record(self, check: Check) -> Awaitable[None]:
        """Queue the check for the log; the awaitable says when it is stored."""
        ...


async def check_card(
    *,
    desk: CheckDesk,
    limiter: AsyncRateLimiter,
    allowance: tuple[str, RateLimit],
    number: str,
    surname: str,
    scheme_code: str | None = None,
    who: Principal | None = None,
    client: str | None = None,
    site: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[PublicCheckResult, Awaitable[None]]:
    """Count the check against ``allowance`` (the key of whose it is, and the rule: 429 once
    used up), then check the card by number and surname and log the check, as
    ``checks.check_card`` does after ``web.checking.limit_checks``. The answer comes with an
    awaitable for the check's line in the log, which is written some 25 ms later, with the
    lines of the checks made meanwhile: await it (after answering) to know it is stored."""
    now = now or utcnow()
    key, rule = allowance
    # The count and the card do not wait on each other: asked for together, a check waits
    # for one round trip to the database instead of two. Every check is counted, a malformed
    # one too, and a refusal (429) wins over whatever the check found.
    counted = asyncio.ensure_future(
        rate_limits.enforce_async(limiter, key=key, rule=rule, now=now, doing="checks")
    )
    try:
        site, surname_key = clean_site(site), surname_key_of(surname)
        scheme, normalised = await desk.scheme_for_number(number, scheme_code)
        found = await desk.card(scheme.id, normalised, surname_key=surname_key)
    finally:
        await counted
    view = judge(
        found, surname_key=surname_key, scheme=scheme, card_number=normalised, today=card_day(now)
    )
    stored = desk.record(
        log_line(view, found, scheme_id=scheme.id, who=who, client=client, site=site, at=now)
    )
    return PublicCheckResult(view=view, checked_at=now), stored
