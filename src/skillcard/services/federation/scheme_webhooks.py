"""A scheme's webhook: where its own cards' changes are posted, signed, as they happen. The
same address rules (public https only, checked again at every attempt), signature, retries
and deliveries table as a business's webhook (services/business/webhooks.py)."""

from __future__ import annotations

import datetime as dt
import secrets

from skillcard.domain.accounts import Principal, can_manage_scheme, require
from skillcard.errors import NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.business.webhooks import Vetter, WebhookStatus, default_vetter
from skillcard.services.unit_of_work import AbstractUnitOfWork


def set_scheme_webhook(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    url: str | None,
    vet: Vetter | None = None,
    now: dt.datetime | None = None,
) -> str | None:
    """Set (or clear, with no URL) the scheme's change webhook; its new signing secret, shown
    once. An address that is not https, or leads anywhere but the public internet, is
    refused (InvalidInput)."""
    url = (url or "").strip()
    if url:
        (vet or default_vetter())(url)  # before the transaction: it may wait on DNS
    with uow:
        scheme = uow.schemes.by_code(scheme_code)
        if scheme is None:
            raise NotFound(f"there is no scheme with the code {scheme_code!r}")
        require(can_manage_scheme(who, scheme.id), f"change {scheme.code}'s webhook")
        secret = secrets.token_urlsafe(32) if url else None
        if secret:
            uow.scheme_webhooks.put(scheme.id, url, secret, now or utcnow())
        else:
            uow.scheme_webhooks.remove(scheme.id)
        record(uow, who, "scheme.webhook", "scheme", scheme.code, detail={"url": url})
        uow.commit()
        return secret


def scheme_webhook_status(
    *, uow: AbstractUnitOfWork, who: Principal, scheme_code: str
) -> WebhookStatus:
    """The scheme's change webhook address and its latest delivery (how it went, what next)."""
    with uow:
        scheme = uow.schemes.by_code(scheme_code)
        if scheme is None:
            raise NotFound(f"there is no scheme with the code {scheme_code!r}")
        require(can_manage_scheme(who, scheme.id), f"see {scheme.code}'s webhook")
        hook = uow.scheme_webhooks.get(scheme.id)
        last = uow.webhook_deliveries.latest_for_scheme(scheme.id)
    return WebhookStatus(url=hook.url if hook else None, last=last)
