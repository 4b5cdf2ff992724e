"""A business's webhook: setting its address (checked, see domain/webhooks.py), queuing
signed bodies with the change they announce, delivering them with retries, and what the
business sees of how the last one went.

    with uow:
        ...the change...
        queue_delivery(uow, business_id=..., event="alerts.digest", payload={...})
        uow.commit()

``deliver_due`` posts what is due (the scheduler in ``skillcard serve``, and ``skillcard
alerts run``). The address is checked again at every attempt, since what a name resolves to
can change after it was saved.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from skillcard.config import Settings
from skillcard.domain.accounts import Principal, require
from skillcard.domain.business import can_manage_business
from skillcard.domain.webhooks import WebhookDelivery
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.business.business import business_id_for
from skillcard.services.unit_of_work import AbstractUnitOfWork

# (url, secret, body) -> HTTP status; raises InvalidInput (address refused) or OSError.
Poster = Callable[[str, str, bytes], int]
# url -> None; raises InvalidInput when the address may not be used.
Vetter = Callable[[str], object]


@dataclass(frozen=True)
class Retries:
    """How often a failed delivery is tried: after ``first_wait``, then twice as long each
    time, ``max_attempts`` in all (6 attempts from one minute: the last about half an hour
    after the first)."""

    max_attempts: int = 6
    first_wait: dt.timedelta = dt.timedelta(minutes=1)


@dataclass
class DeliveryRun:
    delivered: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookStatus:
    url: str | None
    last: WebhookDelivery | None


def default_vetter() -> Vetter:
    from skillcard.adapters.webhooks import checked_addresses

    return checked_addresses


def default_poster(settings: Settings) -> Poster:
    """The production poster: public addresses only, the settings' timeouts."""
    from functools import partial

    from skillcard.adapters.webhooks import Timeouts, post_signed

    timeouts = Timeouts(settings.webhook_connect_timeout, settings.webhook_read_timeout)
    return partial(post_signed, timeouts=timeouts)


def retries_of(settings: Settings) -> Retries:
    return Retries(
        max_attempts=settings.webhook_max_attempts,
        first_wait=dt.timedelta(seconds=settings.webhook_first_retry_seconds),
    )


def set_webhook(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    url: str | None,
    business_id: int | None = None,
    vet: Vetter | None = None,
) -> str | None:
    """Set (or clear, with no URL) the business's alert webhook; returns its new signing
    secret, shown once, with which the receiver checks X-Skillcard-Signature. An address that
    is not https, or leads anywhere but the public internet, is refused."""
    business_id = business_id_for(who, business_id)
    require(can_manage_business(who, business_id), "change this business's webhook")
    url = (url or "").strip()
    if url:
        (vet or default_vetter())(url)
    with uow:
        business = uow.businesses.get(business_id)
        if business is None:
            raise NotFound("no such business")
        business.webhook_url = url or None
        business.webhook_secret = secrets.token_urlsafe(32) if url else None
        record(uow, who, "business.webhook", "business", business_id, detail={"url": url})
        uow.commit()
        return business.webhook_secret


def queue_delivery(
    uow: AbstractUnitOfWork,
    *,
    business_id: int,
    event: str,
    payload: dict[str, Any],
    now: dt.datetime | None = None,
) -> WebhookDelivery:
    """Store a body to post, in the caller's transaction (the caller commits)."""
    delivery = WebhookDelivery(
        business_id=business_id,
        event=event,
        body=json.dumps(payload, sort_keys=True, default=str),
        created_at=now or utcnow(),
    )
    uow.webhook_deliveries.add(delivery)
    return delivery


def deliver_due(
    uow_factory: Callable[[], AbstractUnitOfWork],
    post: Poster,
    *,
    retries: Retries = Retries(),
    now: dt.datetime | None = None,
    batch: int = 100,
) -> DeliveryRun:
    """Post every delivery that is due, each in its own transaction, and record how it went
    on its row: delivered, or the failure and when it is tried next. A webhook's deliveries
    go in the order they were queued: one waits while an earlier one to the same webhook is
    still being tried (given up, it no longer holds the later ones back)."""
    now = now or utcnow()
    run = DeliveryRun()
    # Round after round: a webhook's next body becomes due once the one before it is done.
    # A round that claims nothing (all taken by other processes, or none due) is the last.
    while _deliver_round(uow_factory, post, retries, now, batch, run):
        pass
    return run


def _deliver_round(
    uow_factory: Callable[[], AbstractUnitOfWork],
    post: Poster,
    retries: Retries,
    now: dt.datetime,
    batch: int,
    run: DeliveryRun,
) -> int:
    with uow_factory() as uow:
        ids = uow.webhook_deliveries.due(now, batch)
    claimed = 0
    for delivery_id in ids:
        with uow_factory() as uow:
            delivery = uow.webhook_deliveries.claim(delivery_id, now)
            if delivery is None:
                continue  # another process has it, or it is no longer due
            claimed += 1
            target = _target(uow, delivery)
            if target is None:
                delivery.failed(
                    now,
                    "there is no webhook now",
                    status=None,
                    max_attempts=1,
                    first_wait=retries.first_wait,
                )
                uow.commit()
                continue
            name, url, secret = target
            try:
                status = post(url, secret, delivery.body.encode())
            except Exception as problem:  # any failure is recorded and retried, never lost
                message = _why(problem)
                delivery.failed(
                    now,
                    message,
                    status=getattr(problem, "status", None),
                    max_attempts=retries.max_attempts,
                    first_wait=retries.first_wait,
                )
                run.failures.append(f"{name}: {message}")
            else:
                delivery.delivered(now, status)
                run.delivered += 1
            uow.commit()
    return claimed


def _target(uow: AbstractUnitOfWork, delivery: WebhookDelivery) -> tuple[str, str, str] | None:
    """(who, url, secret) of the webhook a delivery goes to: its business's, or its scheme's
    (the card change feed's, services/federation), as set now; None if it has none now."""
    if delivery.scheme_id is not None:
        hook = uow.scheme_webhooks.get(delivery.scheme_id)
        return (f"scheme {delivery.scheme_id}", hook.url, hook.secret) if hook else None
    business = uow.businesses.get(delivery.business_id) if delivery.business_id else None
    if business and business.webhook_url and business.webhook_secret:
        return f"business {business.id}", business.webhook_url, business.webhook_secret
    return None


def _why(problem: Exception) -> str:
    if isinstance(problem, InvalidInput):
        return problem.message
    if isinstance(problem, OSError):  # the adapter's WebhookFailed says it in plain words
        return str(problem)
    return f"{type(problem).__name__}: {problem}"


def webhook_status(
    *, uow: AbstractUnitOfWork, who: Principal, business_id: int | None = None
) -> WebhookStatus:
    """The business's webhook address and its latest delivery (how it went, what next)."""
    business_id = business_id_for(who, business_id)
    with uow:
        business = uow.businesses.get(business_id)
        if business is None:
            raise NotFound("no such business")
        last = uow.webhook_deliveries.latest(business_id)
    return WebhookStatus(url=business.webhook_url, last=last)
