"""An HSE answer saved as the API and the candidate's page receive it, on the server's event
loop.

The same save as :func:`skillcard.services.hse.hse_attempts.save_answer`, with the same rules
(the token by :func:`~skillcard.services.accounts.accounts.token_holder_principal`, the
attempt by :func:`~skillcard.services.hse.hse_attempts.owned`, the answer by
:meth:`~skillcard.domain.assessment_attempts.Attempt.check_answer`), made through an
:class:`AnswerDesk` instead of a unit of work in a worker thread. Every click of every
candidate comes here: 500 candidates answering every 2 s are 250 saves a second, and the
worker thread and the ORM cost the server more CPU than the rest of the request
(bench/README.md, issue 15, eighth session). The desk is PostgreSQL's; on SQLite both doors
save in a worker thread (``web/api/hse.save_the_answer``).

An answer that would first have to end something (the deadline passed, an attention check
missed) is not saved here: the desk's transaction is rolled back and ``None`` returned, and
the caller saves it with ``hse_attempts.save_answer``, which makes those writes. That is once
or twice in an attempt, not on every click.
"""

from __future__ import annotations

import datetime as dt

from skillcard.domain.accounts import LAST_USED_GRAIN, Principal, last_use_is_stale
from skillcard.services.accounts import accounts
from skillcard.services.audit.audit import utcnow
from skillcard.services.hse import hse_attempts
from skillcard.services.hse.hse_attempts import Saved
from skillcard.services.ports.hse import AnswerDesk, OpenAnswer


class _EndsFirst(Exception):
    """The answer waits for ``hse_attempts.save_answer``: this transaction is rolled back."""


async def save_answer(
    *,
    desk: AnswerDesk,
    who: Principal | str,
    attempt_id: int,
    item_id: int,
    choice: int | None,
    seq: int,
    now: dt.datetime | None = None,
) -> Saved | None:
    """Save one click, as ``hse_attempts.save_answer`` does, refused in the same cases with
    the same errors; ``None`` if the attempt must first be ended (then nothing is stored: see
    the module's note). ``who`` is the candidate, or their API token: it is then looked up in
    the save's transaction."""
    digest = accounts.token_hash(who) if isinstance(who, str) and who else None
    now = now or utcnow()

    async def save(answer: OpenAnswer) -> Saved:
        holder, found = await answer.holder_and_attempt(digest, attempt_id)
        token_holder = accounts.token_holder_principal
        candidate = token_holder(holder, now) if isinstance(who, str) else who
        attempt = hse_attempts.owned(candidate, found, attempt_id)
        if hse_attempts.ends_before_an_answer(attempt, now):
            raise _EndsFirst
        attempt.check_answer(item_id=item_id, choice=choice, seq=seq, now=now)
        await answer.save(attempt, item_id, choice, seq, now)
        if holder is not None and last_use_is_stale(holder.last_used_at, now):
            await answer.note_token_use(holder.token_id, now, now - LAST_USED_GRAIN)
        return Saved(seq=seq, seconds_left=attempt.seconds_left(now), server_now=now)

    try:
        return await desk.run(save)
    except _EndsFirst:
        return None
