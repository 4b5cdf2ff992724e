"""Expiry alerts: each business's admins get a digest of workforce cards expiring within 90,
60 or 30 days, or newly suspended or revoked; optionally the same to a signed webhook, queued
with the digest and delivered with retries (services/business/webhooks.py).

Each workforce entry remembers the state the last digest told of (``alerted_state``), so a
card is told of once per step (90, then 60, then 30 days; suspended; revoked), and running
twice sends nothing twice. The digest's e-mail also carries a dedupe key, so two runs at
the same moment cannot both queue it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.business import ALERT_STATES, STATE_LABELS, Business, workforce_state
from skillcard.domain.calendar import card_day
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.business.webhooks import Poster, Retries, deliver_due, queue_delivery
from skillcard.services.outbox.outbox import queue_email
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record


@dataclass
class AlertRun:
    businesses: int = 0
    emails: int = 0
    items: int = 0
    webhooks: int = 0
    webhook_failures: list[str] = field(default_factory=list)


def _digest_body(name: str, items: list[dict[str, Any]], public_url: str) -> str:
    lines = [f"Business Check alerts for {name}:", ""]
    for item in items:
        who = item["holder_name"] + (f" ({item['label']})" if item["label"] else "")
        lines.append(
            f"- {STATE_LABELS[item['state']]}: {who}, {item['scheme']} {item['card_number']}, "
            f"expires {item['expires_on']}" + (f", site {item['site']}" if item["site"] else "")
        )
    lines += ["", f"See your workforce: {public_url.rstrip('/')}/business"]
    return "\n".join(lines)


def _business_alerts(
    uow: AbstractUnitOfWork, business: Business, today: dt.date
) -> list[dict[str, Any]]:
    """What is new to tell this business; the entries are marked as told (caller commits)."""
    items = []
    for entry, card, holder, scheme, _title in uow.workforce.with_cards(business.id):
        state = workforce_state(card, today)
        if state.value == entry.alerted_state:
            continue
        entry.alerted_state = state.value  # a card back to valid may be told of again later
        if state in ALERT_STATES:
            items.append(
                {
                    "state": state,
                    "holder_name": holder.full_name,
                    "label": entry.label,
                    "scheme": scheme,
                    "card_number": card.number,
                    "expires_on": card.expires_on.isoformat(),
                    "site": entry.site,
                    "subcontractor": entry.subcontractor,
                }
            )
    return items


def run_alerts(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    who: Principal,
    public_url: str,
    post: Poster | None = None,
    retries: Retries = Retries(),
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> AlertRun:
    """One run over every confirmed business: digests queued in the outbox and webhook
    deliveries queued with them; given ``post``, what is due is delivered after."""
    now = now or utcnow()
    today = today or card_day(now)
    run = AlertRun()
    with uow_factory() as uow:
        ids = [b.id for b in uow.businesses.confirmed()]
    for business_id in ids:
        run.businesses += 1
        with uow_factory() as uow:
            business = on_record(uow.businesses.get(business_id), "the business")
            items = _business_alerts(uow, business, today)
            if items:
                key = hashlib.sha256(
                    json.dumps(items, sort_keys=True, default=str).encode()
                ).hexdigest()[:32]
                body = _digest_body(business.name, items, public_url)
                for admin in uow.businesses.users_of(business_id, Role.BUSINESS_ADMIN):
                    if admin.active and queue_email(
                        uow,
                        to=admin.email,
                        subject=f"{len(items)} card alert(s) for {business.name}",
                        body=body,
                        kind="alerts.digest",
                        dedupe_key=f"alerts:{business_id}:{admin.id}:{today}:{key}",
                        now=now,
                    ):
                        run.emails += 1
                detail = {"items": len(items)}
                record(uow, who, "alerts.digest", "business", business_id, detail=detail, now=now)
                run.items += len(items)
                if business.webhook_url:
                    payload = {
                        "business": business_id,
                        "date": today.isoformat(),
                        "alerts": [{**i, "state": i["state"].value} for i in items],
                    }
                    queue_delivery(
                        uow,
                        business_id=business_id,
                        event="alerts.digest",
                        payload=payload,
                        now=now,
                    )
            uow.commit()
    if post is not None:
        delivered = deliver_due(uow_factory, post, retries=retries, now=now)
        run.webhooks, run.webhook_failures = delivered.delivered, delivered.failures
    return run
