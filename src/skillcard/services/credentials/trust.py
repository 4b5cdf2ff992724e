"""The trust list, the verifier bundle, and reading a bundle back for offline checks.

Trust list: a signed JSON document (:mod:`skillcard.adapters.signed_json`), signed by the
hub's key, naming every scheme's current and retired keys::

    {"type": "skillcard-trust-list", "version": 1, "issued": "<ISO time>",
     "hub": {"kid": ..., "public_key": base64url(SEC1)},
     "keys": [{"kid", "scheme", "public_key": base64url(SEC1, 65 bytes), "jwk": {...},
               "holder": "hub"|"scheme", "status": "current"|"retired",
               "valid_from", "valid_until", "verify_until"}],
     "kid": <the hub key's id>, "signature": ...}

``valid_from``/``valid_until`` is the window in which a key may sign; a retired key stays
listed until ``verify_until`` (the last expiry of the cards it signed) has passed. ``holder``
says who keeps the private half: the hub, or the scheme in its own system (see
:mod:`skillcard.services.credentials.scheme_keys`); a verifier treats both alike. A key
vouches only for its own scheme's cards.

A status list is signed by a key of its scheme or by the hub's key (the hub signs the lists of
schemes that hold their own keys: it keeps the cards' statuses, and its key already vouches for
every key here, so trusting it for a list trusts no one new).

Bundle: ``{"type": "skillcard-verifier-bundle", "version": 1, "trust_list": {...},
"status_lists": [<signed status list>, ...]}``, everything an offline checker needs.

Trust root: the hub's public key. The bundle carries it (in ``trust_list.hub``), but a key
inside a document cannot vouch for that document: it only proves the bundle is whole. A checker
should pin the hub key it got by another route (a copy shipped with the app, or the operator's
published fingerprint) and pass it as ``pinned_hub_key``; then a bundle signed by any other key
is refused. Without a pin, :func:`bundle_from_json` trusts the embedded key (trust on first use),
which ``skillcard verify`` allows only in development, with a warning.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.adapters.signed_json import (
    BadDocument,
    b64,
    gunzip_b64,
    unb64,
)
from skillcard.domain.calendar import card_day
from skillcard.domain.signing import SigningKeyRecord
from skillcard.domain.trust import KeyStatus, StatusList, TrustedKey
from skillcard.errors import InvalidInput
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials.signing import HUB, current_signer, ensure_keys
from skillcard.services.credentials.status_lists import MAX_ENTRIES, published_status_list
from skillcard.services.credentials.verification import VerifierBundle
from skillcard.services.crypto import documents, keys
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

MAX_BUNDLE_BYTES = 32 * 1024 * 1024
MAX_KEYS = 2_000
MAX_LISTS = 500
TRUST_LIST_TYPE, BUNDLE_TYPE = "skillcard-trust-list", "skillcard-verifier-bundle"
TITLES_TYPE = "skillcard-qualification-titles"


def trust_list(*, uow: AbstractUnitOfWork, now: dt.datetime | None = None) -> dict[str, Any]:
    """The hub-signed trust list (keys missing for any scheme are made first)."""
    now = now or utcnow()
    with uow:
        document = _trust_list(uow, now)
        uow.commit()
        return document


def verifier_bundle(*, uow: AbstractUnitOfWork, now: dt.datetime | None = None) -> dict[str, Any]:
    """The trust list and every scheme's status list, for offline checks."""
    now = now or utcnow()
    with uow:
        document = _trust_list(uow, now)
        lists = [published_status_list(uow, s.id, now) for s in uow.schemes.list()]
        titles = _qualification_titles(uow, now)
        uow.commit()
        return {
            "type": BUNDLE_TYPE,
            "version": 1,
            "trust_list": document,
            "status_lists": lists,
            "qualification_titles": titles,
        }


def _qualification_titles(uow: AbstractUnitOfWork, now: dt.datetime) -> dict[str, Any]:
    """The titles of the qualification codes a card carries, so an offline check reads
    "Level 3 NVQ Diploma ..." as the online one does. Its own hub-signed document beside the
    trust list (whose bytes and signature stay as they were): a checker trusts a title no
    more than the key that signed it."""
    hub_kid, hub_key = current_signer(uow, None, now=now)
    titles = {q.code: q.title for q in uow.reference.qualifications()}
    document = {"type": TITLES_TYPE, "version": 1, "titles": titles, "kid": hub_kid}
    return documents.sign_document(document, hub_key)


def status_list(
    *, uow: AbstractUnitOfWork, scheme_code: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """One scheme's signed status list, as published."""
    from skillcard.services.registry.registry import scheme_named

    now = now or utcnow()
    with uow:
        document = published_status_list(uow, scheme_named(uow, scheme_code).id, now)
        uow.commit()
        return document


def hub_public_key(*, uow: AbstractUnitOfWork) -> bytes:
    """The hub's SEC1 public key: the trust root to pin."""
    with uow:
        ensure_keys(uow)
        uow.commit()
        return on_record(uow.signing_keys.current(None), "the hub's key").public_key


def _trust_list(uow: AbstractUnitOfWork, now: dt.datetime) -> dict[str, Any]:
    ensure_keys(uow, now)
    codes = {s.id: s.code for s in uow.schemes.list()}
    stored = [k for k in uow.signing_keys.all() if k.listed_on(card_day(now))]
    listed = [_entry(k, codes[k.scheme_id]) for k in stored if k.scheme_id in codes]
    hub_kid, hub_key = current_signer(uow, None, now=now)
    # "issued" is the last change to the keys, so an unchanged list keeps its bytes (and ETag)
    # (a scheme's key is registered with its window's end, and may be with a later start: a
    # moment still to come is no change yet, or "issued" would lie in the future)
    moments = [k.valid_from for k in stored] + [k.valid_until for k in stored if k.valid_until]
    changes = [m for m in moments if m <= now] or [now]
    document = {
        "type": TRUST_LIST_TYPE,
        "version": 1,
        "issued": _iso(max(changes)),
        "hub": {"kid": hub_kid, "public_key": b64(keys.public_key_bytes(hub_key))},
        "keys": listed,
        "kid": hub_kid,
    }
    return documents.sign_document(document, hub_key)


def _entry(key: SigningKeyRecord, scheme: str) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "scheme": scheme,
        "public_key": b64(key.public_key),
        "jwk": keys.public_key_jwk(keys.load_public_key(key.public_key)),
        "holder": str(key.holder),
        "status": str(key.status),
        "valid_from": _iso(key.valid_from),
        "valid_until": _iso(key.valid_until) if key.valid_until else None,
        "verify_until": key.verify_until.isoformat() if key.verify_until else None,
    }


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


# --- reading a bundle back -------------------------------------------------------------------


def bundle_from_json(
    data: bytes | str | dict[str, Any], now: dt.datetime, *, pinned_hub_key: bytes | None = None
) -> VerifierBundle:
    """A :class:`VerifierBundle` from a downloaded bundle, every signature checked.

    :class:`BadDocument` (bad input) if the bundle is too large, damaged, or signed by any
    key but the hub's (``pinned_hub_key`` when given), or a status list is not signed by a
    key the trust list gives its scheme.
    """
    bundle = _parsed(data)
    if type(bundle) is not dict or bundle.get("type") != BUNDLE_TYPE:
        raise BadDocument("not a skillcard verifier bundle")
    document = bundle.get("trust_list")
    trusted = trusted_keys(document, now, pinned_hub_key=pinned_hub_key)
    hub = _hub_signer(document, pinned_hub_key)  # checked by trusted_keys: it signed the list
    lists = bundle.get("status_lists")
    if type(lists) is not list or len(lists) > MAX_LISTS:
        raise BadDocument("the bundle's status lists are not a list, or too many")
    return VerifierBundle(trusted, [_status_list(doc, trusted, hub) for doc in lists])


def _hub_signer(document: Any, pinned_hub_key: bytes | None) -> TrustedKey:
    """The hub's key, as a signer of status lists (see the module's notes)."""
    sec1 = pinned_hub_key or unb64(document["hub"]["public_key"])
    return TrustedKey(kid=str(document["kid"]), scheme=HUB, public_key=sec1,
                      valid_from=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))  # fmt: skip


def trusted_keys(
    document: object, now: dt.datetime, *, pinned_hub_key: bytes | None = None
) -> list[TrustedKey]:
    """The scheme keys a hub-signed trust list names (those still listed on ``now``)."""
    if type(document) is not dict or document.get("type") != TRUST_LIST_TYPE:
        raise BadDocument("not a skillcard trust list")
    try:
        embedded = unb64(document["hub"]["public_key"])
    except (KeyError, TypeError, ValueError):
        raise BadDocument("the trust list does not name the hub's key") from None
    hub_key = pinned_hub_key or embedded
    if not documents.signature_ok(document, _public(hub_key)):
        raise BadDocument("the trust list is not signed by the hub's key")
    entries = document.get("keys")
    if type(entries) is not list or len(entries) > MAX_KEYS:
        raise BadDocument("the trust list's keys are not a list, or too many")
    try:
        found = [_trusted(entry) for entry in entries]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise BadDocument(f"a trust list entry is damaged ({type(error).__name__})") from None
    return [key for key, until in found if until is None or until >= card_day(now)]


def _trusted(entry: dict[str, Any]) -> tuple[TrustedKey, dt.date | None]:
    until = entry["valid_until"]
    verify_until = entry.get("verify_until")
    key = TrustedKey(
        kid=str(entry["kid"]),
        scheme=str(entry["scheme"]),
        public_key=unb64(entry["public_key"]),
        valid_from=dt.datetime.fromisoformat(entry["valid_from"]),
        valid_until=dt.datetime.fromisoformat(until) if until else None,
        status=KeyStatus(entry["status"]),
    )
    keys.load_public_key(key.public_key)  # on the curve, or refused here
    return key, dt.date.fromisoformat(verify_until) if verify_until else None


def _status_list(document: object, trusted: list[TrustedKey], hub: TrustedKey) -> StatusList:
    if type(document) is not dict:
        raise BadDocument("a status list is not a JSON object")
    scheme, kid = document.get("scheme"), document.get("kid")
    signers = [k for k in trusted if k.kid == kid and k.scheme == scheme]
    if kid == hub.kid:
        signers.append(hub)
    if not any(documents.signature_ok(document, _public(k.public_key)) for k in signers):
        raise BadDocument(
            f"the status list of {scheme!r} is not signed by a key of its scheme or the hub's"
        )
    try:
        entries, ttl = int(document["entries"]), int(document["ttl"])
        if not 0 < entries <= MAX_ENTRIES or entries % 8:
            raise BadDocument(f"the status list of {scheme} has an impossible size")
        bits = gunzip_b64(document["bits"], max_bytes=entries // 8)
        plane = gunzip_b64(document["suspended"], max_bytes=entries // 8)
        issued = dt.datetime.fromisoformat(document["issued"])
        if len(bits) != entries // 8 or len(plane) not in (0, len(bits)):
            raise BadDocument(f"the status list of {scheme} is not as long as it says")
        return StatusList(str(scheme), issued, bits, ttl, plane if any(plane) else b"")
    except (KeyError, TypeError, ValueError) as error:
        raise BadDocument(f"the status list of {scheme} is damaged: {error}") from None


def _public(sec1: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return keys.load_public_key(sec1)
    except (InvalidInput, TypeError, ValueError) as error:
        raise BadDocument(f"a public key is not a P-256 key ({error})") from None


def _parsed(data: bytes | str | dict[str, Any]) -> object:
    if isinstance(data, dict):
        return data
    if len(data) > MAX_BUNDLE_BYTES:
        raise BadDocument(f"the bundle is larger than {MAX_BUNDLE_BYTES // 1024 // 1024} MB")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadDocument("the bundle is not JSON") from None


__all__ = ["HUB", "bundle_from_json", "trust_list", "trusted_keys", "verifier_bundle"]
