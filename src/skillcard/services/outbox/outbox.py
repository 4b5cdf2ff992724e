"""E-mail through the outbox: queue it with the change it announces, deliver it later.

    with uow:
        ...the change...
        queue_email(uow, to=..., subject=..., body=..., kind="business.confirm")
        uow.commit()

``deliver_pending`` sends what is waiting (``skillcard outbox send``, or the loop in
``skillcard serve`` when SMTP is configured). Without SMTP, messages stay in the outbox, which
the demo shows at /outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from skillcard.domain.accounts import Principal, require
from skillcard.domain.outbox import OutboxMessage
from skillcard.services.clock import utcnow
from skillcard.services.unit_of_work import AbstractUnitOfWork


class Mailer(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


def queue_email(
    uow: AbstractUnitOfWork,
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    dedupe_key: str | None = None,
    now: dt.datetime | None = None,
) -> OutboxMessage | None:
    """Store a message in the caller's transaction; ``None`` if ``dedupe_key`` was used before
    (so a digest run twice sends nothing twice). The caller commits."""
    if dedupe_key is not None and uow.outbox.has_dedupe_key(dedupe_key):
        return None
    message = OutboxMessage(
        to_address=to,
        subject=subject,
        body=body,
        kind=kind,
        created_at=now or utcnow(),
        dedupe_key=dedupe_key,
    )
    uow.outbox.add(message)
    return message


def deliver_pending(
    uow_factory: Callable[[], AbstractUnitOfWork],
    mailer: Mailer,
    *,
    batch: int = 50,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Send what waits, one batch per transaction; (sent, failed). A failure is recorded on
    the message, which is tried again next time (up to its limit)."""
    sent = failed = 0
    while True:
        with uow_factory() as uow:
            waiting = uow.outbox.pending(batch)
            if not waiting:
                return sent, failed
            for message in waiting:
                try:
                    mailer.send(message)
                except Exception as error:  # any mail failure: keep the message, say why
                    message.mark_failed(f"{type(error).__name__}: {error}")
                    failed += 1
                else:
                    message.mark_sent(now or utcnow())
                    sent += 1
            uow.commit()
        if failed:  # the server is refusing: stop for now rather than spin on the same batch
            return sent, failed


def recent_messages(
    *, uow: AbstractUnitOfWork, who: Principal | None, demo: bool, limit: int = 50
) -> list[OutboxMessage]:
    """What was sent lately: everyone's in a demo (there is no real mail there), otherwise
    only for the hub admin."""
    require(demo or (who is not None and who.is_hub_admin), "read the outbox")
    with uow:
        return uow.outbox.recent(limit)
