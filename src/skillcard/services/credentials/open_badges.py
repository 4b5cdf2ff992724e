"""Achievements as Open Badges 3.0 credentials (W3C Verifiable Credentials 2.0, secured as
VC-JWT with ES256), the hub's Bitstring Status List of them, and checking one.

The issuer is the hub (``did:web`` of its host,
:mod:`skillcard.services.credentials.open_credentials`):
it keeps the record the achievements come from, across schemes. Its P-256 key signs, named in
the JWS header by its DID URL (``did:web:host#kid``), which is how OB 3.0 verifiers find it.

Each exported achievement keeps one random entry (never its order of issue) in one list of at
least 131,072 entries, published as a signed ``BitstringStatusListCredential``. The encoding of
the list (GZIP, then multibase base64url, ``u``) is written here: the one Python library that
reads it (openbadgeslib) is the independent verifier of our tests, and writing with it would
leave nothing independent to check against.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from skillcard.adapters import jose, keys
from skillcard.adapters.jose import JoseRefused
from skillcard.domain.accounts import Principal, Role, require, tied
from skillcard.domain.status_indexes import entries_for
from skillcard.domain.trust import CLOCK_SKEW, MIN_STATUS_ENTRIES
from skillcard.errors import Conflict
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.clock import card_today
from skillcard.services.credentials.open_credentials import (
    HUB_NAME,
    OpenVerification,
    hub_did,
    origin,
)
from skillcard.services.credentials.signing import current_signer, ensure_keys
from skillcard.services.mycard import achievements
from skillcard.services.ports.open_credentials import BadgeEntry
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
STATUS_LIST_PATH = "/api/v1/badges/status-list"
STATUS_LIST_LIFE = dt.timedelta(days=1)
_DRAWS = 64


def status_list_url(public_url: str) -> str:
    return origin(public_url) + STATUS_LIST_PATH


@dataclass(frozen=True)
class BadgeExport:
    credential: str  # the VC-JWT
    public_id: str
    achievement: achievements.Achievement


def holder_achievements(
    *, uow: AbstractUnitOfWork, who: Principal, today: dt.date | None = None
) -> list[achievements.Achievement]:
    """The holder's own achievements that may be exported or shared."""
    holder = _holder(who)
    with uow:
        return achievements.of_holder(uow, holder, today or card_today())


def export_badge(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    key: str,
    public_url: str,
    now: dt.datetime | None = None,
) -> BadgeExport:
    """The holder's achievement ``key`` as an OB 3.0 credential signed now by the hub."""
    holder = _holder(who)
    now = (now or utcnow()).replace(microsecond=0)
    with uow:
        found = achievements.one_of_holder(uow, holder, key[:40], now.date())
        token, entry = sign_badge(uow, holder, found, public_url, now)
        record(uow, who, "badge.export", "badge", entry.public_id, detail={"key": key}, now=now)
        uow.commit()
    return BadgeExport(token, entry.public_id, found)


def sign_badge(
    uow: AbstractUnitOfWork,
    holder: int,
    found: achievements.Achievement,
    public_url: str,
    now: dt.datetime,
) -> tuple[str, BadgeEntry]:
    """The achievement's VC-JWT, signed now by the hub, and its entry (caller commits)."""
    entry = badge_entry(uow, holder, found, now)
    kid, private = current_signer(uow, None, now=now)
    did = hub_did(public_url)
    body = _credential(found, entry, did, public_url, now)
    name = on_record(uow.cardholders.get(holder), "the cardholder").full_name
    body["credentialSubject"] = _subject(found, name, public_url)
    return jose.sign({"kid": f"{did}#{kid}", "typ": "JWT"}, body, private), entry


def badge_entry(
    uow: AbstractUnitOfWork, holder: int, found: achievements.Achievement, now: dt.datetime
) -> BadgeEntry:
    """The achievement's entry, drawn at random on its first export (caller commits)."""
    entry = uow.badge_entries.find(holder, found.kind, found.subject)
    if entry is not None:
        if found.minutes and found.minutes != entry.claimed_minutes:
            uow.badge_entries.set_claim(entry.id, found.minutes)  # this year's CPD grew
            entry = uow.badge_entries.find(holder, found.kind, found.subject)
        return on_record(entry, "the badge entry")
    size = entries_for(len(uow.badge_entries.all()) + 1, MIN_STATUS_ENTRIES)
    for _ in range(_DRAWS):
        added = uow.badge_entries.add(
            public_id=str(uuid.uuid4()),
            cardholder_id=holder,
            kind=found.kind,
            subject=found.subject,
            status_index=secrets.randbelow(size),
            claimed_minutes=found.minutes,
            issued_at=now,
        )
        if added:
            return on_record(
                uow.badge_entries.find(holder, found.kind, found.subject), "the badge entry"
            )
        if uow.badge_entries.find(holder, found.kind, found.subject) is not None:
            return on_record(
                uow.badge_entries.find(holder, found.kind, found.subject), "the badge entry"
            )
    raise Conflict("no free entry was found in the badge status list: try again")


def _credential(
    found: achievements.Achievement,
    entry: BadgeEntry,
    did: str,
    public_url: str,
    now: dt.datetime,
) -> dict[str, Any]:
    credential_id = f"urn:uuid:{entry.public_id}"
    valid_from = dt.datetime.combine(found.achieved_on, dt.time(), dt.UTC)
    body: dict[str, Any] = {
        "@context": CONTEXT,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": HUB_NAME, "url": origin(public_url)},
        "validFrom": _iso(valid_from),
        "name": found.name,
        "credentialStatus": {
            "id": f"{status_list_url(public_url)}#{entry.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(entry.status_index),
            "statusListCredential": status_list_url(public_url),
        },
        "iss": did,
        "jti": credential_id,
        "nbf": int(valid_from.timestamp()),
        "iat": int(now.timestamp()),
    }
    if found.valid_until:
        until = dt.datetime.combine(found.valid_until, dt.time(23, 59, 59), dt.UTC)
        body["validUntil"], body["exp"] = _iso(until), int(until.timestamp())
    return body


def _achievement(found: achievements.Achievement, public_url: str) -> dict[str, Any]:
    return {
        "id": f"{origin(public_url)}/achievements/{found.kind}/{found.subject}",
        "type": ["Achievement"],
        "name": found.name,
        "description": found.description,
        "criteria": {"narrative": found.criteria},
    }


def _subject(found: achievements.Achievement, holder_name: str, public_url: str) -> dict[str, Any]:
    """The subject, named by the holder's salted name hash (OB 3.0's IdentityObject): whoever
    knows the name can check it; whoever reads the badge alone learns nothing of it."""
    salt = jose.b64(secrets.token_bytes(12))
    digest = hashlib.sha256((holder_name + salt).encode()).hexdigest()
    return {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "hashed": True,
                "identityHash": f"sha256${digest}",
                "identityType": "name",
                "salt": salt,
            }
        ],
        "achievement": _achievement(found, public_url),
    }


def status_bits(uow: AbstractUnitOfWork) -> tuple[int, bytes]:
    """The list's size and its bits (1: revoked), from each entry's standing now."""
    entries = uow.badge_entries.all()
    size = entries_for(len(entries), MIN_STATUS_ENTRIES)
    bits = bytearray(size // 8)
    holders: dict[int, achievements.Standing] = {}
    for entry in entries:
        if entry.cardholder_id not in holders:
            holders[entry.cardholder_id] = achievements.Standing(uow, entry.cardholder_id)
        standing = holders[entry.cardholder_id]
        if not standing.stands(entry.kind, entry.subject, entry.claimed_minutes):
            bits[entry.status_index >> 3] |= 0x80 >> (entry.status_index & 7)
    return size, bytes(bits)


def status_list_credential(
    *, uow: AbstractUnitOfWork, public_url: str, now: dt.datetime | None = None
) -> str:
    """The hub's BitstringStatusListCredential as a VC-JWT, signed now, valid for a day."""
    now = (now or utcnow()).replace(microsecond=0)
    with uow:
        _, bits = status_bits(uow)
        kid, private = current_signer(uow, None, now=now)
        uow.commit()
    did, url = hub_did(public_url), status_list_url(public_url)
    until = now + STATUS_LIST_LIFE
    body = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": _iso(now),
        "validUntil": _iso(until),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "u" + jose.b64(gzip.compress(bits, mtime=0)),
        },
        "iss": did,
        "jti": url,
        "nbf": int(now.timestamp()),
        "iat": int(now.timestamp()),
        "exp": int(until.timestamp()),
    }
    return jose.sign({"kid": f"{did}#{kid}", "typ": "JWT"}, body, private)


def verify_badge(
    *, uow: AbstractUnitOfWork, token: str, public_url: str, now: dt.datetime | None = None
) -> OpenVerification:
    """Check an OB 3.0 VC-JWT against the hub's keys and its status list now. Never raises."""
    now = now or utcnow()
    did = hub_did(public_url)
    try:
        header = jose.unverified_header(token)
        with uow:
            ensure_keys(uow, now)
            hub_keys = {
                k.kid: k
                for k in uow.signing_keys.all()
                if k.scheme_id is None and k.listed_on(now.date())
            }
            uow.commit()
        kid = str(header.get("kid", ""))
        stored = hub_keys.get(kid.removeprefix(f"{did}#")) if kid.startswith(f"{did}#") else None
        if stored is None:
            raise JoseRefused("unknown_issuer", "the badge is not signed by a key of this hub")
        _, body = jose.verify(token, keys.load_public_key(stored.public_key))
    except JoseRefused as refused:
        return OpenVerification(refused.outcome, (refused.reason,))
    outcome, reason = _badge_outcome(uow, body, did, public_url, now)
    return OpenVerification(outcome, (reason,) if reason else (), body, stored.kid)


def _badge_outcome(
    uow: AbstractUnitOfWork, body: dict[str, Any], did: str, public_url: str, now: dt.datetime
) -> tuple[str, str]:
    found_types, found_issuer = body.get("type"), body.get("issuer")
    types = found_types if isinstance(found_types, list) else []
    issuer = found_issuer if isinstance(found_issuer, dict) else {}
    if "OpenBadgeCredential" not in types or issuer.get("id") != did or body.get("iss") != did:
        return "malformed", "this is not an Open Badge of this hub"
    try:
        starts = dt.datetime.fromisoformat(body["validFrom"])
        ends = dt.datetime.fromisoformat(body["validUntil"]) if "validUntil" in body else None
        status = body["credentialStatus"]
        index = int(status["statusListIndex"])
        if starts.tzinfo is None or (ends is not None and ends.tzinfo is None):
            raise ValueError("a date without its time zone")
    except (KeyError, TypeError, ValueError):
        return "malformed", "the badge lacks its dates or its status entry"
    if status.get("statusListCredential") != status_list_url(public_url):
        return "malformed", "the badge's status is not in this hub's list"
    if starts > now + CLOCK_SKEW:
        return "not_yet_valid", "the achievement is dated in the future"
    if ends is not None and ends < now - CLOCK_SKEW:
        return "expired", "the achievement's validity has ended"
    with uow:
        entry = uow.badge_entries.by_index(index)
        stands = entry is not None and achievements.still_stands(
            uow, entry.cardholder_id, entry.kind, entry.subject, entry.claimed_minutes
        )
    if not stands:
        return "revoked", "the hub has revoked this achievement"
    return "valid", ""


def verify_open_credential(
    *, uow: AbstractUnitOfWork, text: str, public_url: str, audience: str | None = None
) -> tuple[str, OpenVerification]:
    """A card's SD-JWT VC (it has '~') or an Open Badge, told apart by the text, checked;
    (its format, the answer). Never raises for bad text."""
    from skillcard.services.credentials import card_sd_jwt  # beside this module, not under it

    if "~" in text:
        found = card_sd_jwt.verify_card(
            uow=uow, text=text, public_url=public_url, audience=audience
        )
        return "sd-jwt-vc", found
    return "open-badge-3.0", verify_badge(uow=uow, token=text, public_url=public_url)


def looks_like_open_credential(text: str) -> bool:
    """Whether text (not a QR code's SC1:) is a JWS or an SD-JWT, to be checked as one."""
    return "~" in text or text.count(".") == 2


def _holder(who: Principal) -> int:
    require(
        who.role == Role.CARDHOLDER and who.cardholder_id is not None,
        "export an achievement: only its holder may",
    )
    return tied(who.cardholder_id, "its holder")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
