"""Share links: the holder makes one of their cards or achievements public, at a permanent URL
(``/shared/{token}``), until the link expires or they revoke it.

Nothing of a holder is public until they share it. The page shows the issuer, what the
credential certifies and its status now (read afresh on every view, so a card revoked since the
link was made shows as revoked), how to verify it (the signed credential to download, a QR of
the page) and a link that adds it to a LinkedIn profile. Each view is counted on the link, in
the same transaction as the page is read, and the holder sees the count on their record. A
revoked or expired link answers 410 Gone; a token never made answers 404.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from skillcard.domain.accounts import Principal, Role, require, tied
from skillcard.errors import Gone, InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.credentials.card_sd_jwt import issue_card
from skillcard.services.credentials.open_badges import badge_entry, sign_badge
from skillcard.services.credentials.open_credentials import HUB_NAME, origin
from skillcard.services.mycard import achievements
from skillcard.services.ports.open_credentials import ShareLink
from skillcard.services.registry.cards import _load_card, describe
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

KINDS = ("card", "achievement")
DEFAULT_DAYS, MAX_DAYS = 90, 730
LINKEDIN_ADD = "https://www.linkedin.com/profile/add"
# What a shared card's downloadable SD-JWT VC discloses: what its page shows, not the holder's
# qualifications (an achievement is shared on its own).
CARD_DISCLOSED = (
    "given_name",
    "family_name",
    "card_number",
    "card_type",
    "occupation",
    "issue_date",
    "expiry_date",
    "scheme_name",
)


def share_path(token: str) -> str:
    return f"/shared/{token}"


def _holder(who: Principal) -> int:
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "share a credential: only its holder may",
    )
    return tied(who.cardholder_id, "its holder")


def create_share(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    kind: str,
    subject: str,
    days: int = DEFAULT_DAYS,
    now: dt.datetime | None = None,
) -> str:
    """A new share link of the holder's card (``subject``: its number) or achievement (its
    key), valid ``days``; its token."""
    holder = _holder(who)
    if kind not in KINDS:
        raise InvalidInput("share a card or an achievement", field="kind")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"a link lasts from 1 to {MAX_DAYS} days", field="days")
    now = now or utcnow()
    with uow:
        if kind == "card":
            card = _load_card(uow, who, subject[:40], None)
            view = describe(uow, card, now.date())
            stored, title = str(card.id), f"{view.card_type_title} card {view.number}"
        else:
            found = achievements.one_of_holder(uow, holder, subject[:40], now.date())
            badge_entry(uow, holder, found, now)  # its credential id, from now on
            stored, title = found.key, found.name
        token = secrets.token_urlsafe(24)
        share_id = uow.share_links.add(
            token=token,
            cardholder_id=holder,
            kind=kind,
            subject=stored,
            title=title[:300],
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
            views=0,
        )
        record(uow, who, "share.create", "share_link", share_id, detail={"kind": kind}, now=now)
        uow.commit()
    return token


def my_shares(*, uow: AbstractUnitOfWork, who: Principal) -> list[ShareLink]:
    """The holder's share links, newest first, with their view counts."""
    holder = _holder(who)
    with uow:
        return uow.share_links.of_cardholder(holder)


def revoke_share(
    *, uow: AbstractUnitOfWork, who: Principal, share_id: int, now: dt.datetime | None = None
) -> None:
    """The holder ends a share link now: its page answers 410 from then on."""
    holder = _holder(who)
    now = now or utcnow()
    with uow:
        found = uow.share_links.get(share_id)
        if found is None or found.cardholder_id != holder:
            raise NotFound(f"no share link {share_id} of yours")
        uow.share_links.revoke(share_id, now)
        record(uow, who, "share.revoke", "share_link", share_id, now=now)
        uow.commit()


@dataclass(frozen=True)
class SharedPage:
    token: str
    kind: str
    title: str  # what it certifies
    issuer: str
    description: str
    holder_name: str
    state: str  # valid, expired, revoked, suspended, replaced, not_yet_valid
    issued_on: dt.date
    expires_on: dt.date | None
    credential_id: str
    url: str
    link_expires_at: dt.datetime
    views: int
    format: str  # the downloadable credential's format, in words

    def linkedin_url(self) -> str:
        """LinkedIn's add-a-certification link, prefilled."""
        fields = {
            "startTask": "CERTIFICATION_NAME",
            "name": self.title,
            "organizationName": self.issuer,
            "issueYear": self.issued_on.year,
            "issueMonth": self.issued_on.month,
        }
        if self.expires_on:
            fields |= {
                "expirationYear": self.expires_on.year,
                "expirationMonth": self.expires_on.month,
            }
        fields |= {"certId": self.credential_id, "certUrl": self.url}
        return f"{LINKEDIN_ADD}?{urlencode(fields)}"


def _live(uow: AbstractUnitOfWork, token: str, now: dt.datetime) -> ShareLink:
    found = uow.share_links.by_token(token[:64]) if token else None
    if found is None:
        raise NotFound("no shared credential at this address")
    if found.revoked_at is not None:
        raise Gone("the holder has stopped sharing this credential")
    if found.expires_at <= now:
        raise Gone("this share link has expired")
    return found


def view_shared(
    *, uow: AbstractUnitOfWork, token: str, public_url: str, now: dt.datetime | None = None
) -> SharedPage:
    """The public page of a live share link, its view counted."""
    now = now or utcnow()
    with uow:
        found = _live(uow, token, now)
        page = _page(uow, found, public_url, now)
        uow.share_links.count_view(found.id, now)
        uow.commit()
    return page


def _page(
    uow: AbstractUnitOfWork, found: ShareLink, public_url: str, now: dt.datetime
) -> SharedPage:
    url = origin(public_url) + share_path(found.token)
    holder = on_record(uow.cardholders.get(found.cardholder_id), "the cardholder")
    common: dict[str, Any] = dict(
        token=found.token,
        kind=found.kind,
        holder_name=holder.full_name,
        url=url,
        link_expires_at=found.expires_at,
        views=found.views + 1,
    )
    if found.kind == "card":
        card = on_record(uow.cards.get(int(found.subject)), "the shared card")
        view = describe(uow, card, now.date())
        return SharedPage(
            title=f"{view.card_type_title} ({view.scheme_code} card)",
            issuer=view.scheme_name,
            description=f"{view.holder_name} holds card {view.number} of {view.scheme_name}"
            + (f" as {view.occupation}." if view.occupation else "."),
            state=view.state,
            issued_on=view.issued_on,
            expires_on=view.expires_on,
            credential_id=view.number,
            format="SD-JWT VC (RFC 9901)",
            **common,
        )
    entry_state, achievement = _achievement_now(uow, found, now)
    kind, _, subject = found.subject.partition("-")
    entry = uow.badge_entries.find(found.cardholder_id, kind, subject)
    return SharedPage(
        title=found.title if achievement is None else achievement.name,
        issuer=HUB_NAME,
        description="" if achievement is None else achievement.description,
        state=entry_state,
        issued_on=found.created_at.date() if achievement is None else achievement.achieved_on,
        expires_on=None if achievement is None else achievement.valid_until,
        credential_id=f"urn:uuid:{entry.public_id}" if entry else found.subject,
        format="Open Badges 3.0 (W3C Verifiable Credential, VC-JWT)",
        **common,
    )


def _achievement_now(
    uow: AbstractUnitOfWork, found: ShareLink, now: dt.datetime
) -> tuple[str, achievements.Achievement | None]:
    """The state of a shared achievement now, and the achievement (None once withdrawn)."""
    for achievement in achievements.of_holder(uow, found.cardholder_id, now.date()):
        if achievement.key == found.subject:
            if achievement.valid_until and achievement.valid_until < now.date():
                return "expired", achievement
            return "valid", achievement
    return "revoked", None


def shared_credential(
    *, uow: AbstractUnitOfWork, token: str, public_url: str, now: dt.datetime | None = None
) -> tuple[str, str, str]:
    """The shared credential, signed now: (text, media type, file name). A card comes as an
    SD-JWT VC disclosing what its page shows; an achievement as an Open Badge."""
    now = (now or utcnow()).replace(microsecond=0)
    with uow:
        found = _live(uow, token, now)
        if found.kind == "card":
            card = on_record(uow.cards.get(int(found.subject)), "the shared card")
            issued, _ = issue_card(uow, card, public_url, now)
            text = issued.present(CARD_DISCLOSED)
            answer = (text, "application/dc+sd-jwt", f"card-{card.number}.sd-jwt")
        else:
            achievement = next(
                (
                    a
                    for a in achievements.of_holder(uow, found.cardholder_id, now.date())
                    if a.key == found.subject
                ),
                None,
            )
            if achievement is None:
                raise Gone("this achievement is no longer held: there is no credential to give")
            token_text, _ = sign_badge(uow, found.cardholder_id, achievement, public_url, now)
            answer = (token_text, "application/vc+jwt", f"{achievement.key}.jwt")
        uow.commit()
    return answer
