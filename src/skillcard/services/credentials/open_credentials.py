"""Who issues the open-standard credentials, and where any verifier finds their keys.

The keys are the ones that sign the QR credentials
(:mod:`skillcard.services.credentials.signing`): each
scheme's P-256 key signs its cards, the hub's signs the achievements it keeps (qualifications
checked by a scheme, the HSE pass, the year's CPD). Nothing new is generated; the same ``kid``
(the key id of :mod:`skillcard.adapters.keys`) names a key in the COSE header, the JWS header,
the JWKS and the DID documents, so a rotation shows everywhere at once.

Where they are published (``public_url`` is the hub's own address):

- ``/.well-known/jwks.json``: every listed key, current and retired, of the hub and schemes;
- ``/.well-known/jwt-vc-issuer/schemes/{CODE}``: the SD-JWT VC draft's issuer metadata of a
  scheme (its ``iss`` is ``{public_url}/schemes/{CODE}``), with the scheme's keys;
- ``/.well-known/did.json``: the hub's ``did:web`` document (the Open Badges issuer);
- ``/schemes/{CODE}/did.json``: a scheme's ``did:web:{host}:schemes:{CODE}`` document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from skillcard.domain.signing import SigningKeyRecord
from skillcard.errors import NotFound
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials.signing import ensure_keys
from skillcard.services.crypto import keys
from skillcard.services.unit_of_work import AbstractUnitOfWork

HUB_NAME = "skillcard hub"
_DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]


@dataclass(frozen=True)
class OpenVerification:
    """The answer about an open-standard credential: an outcome word, plain-English reasons,
    and the claims only when a trusted key vouched for them."""

    outcome: str
    reasons: tuple[str, ...] = ()
    claims: dict[str, Any] | None = None
    key_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.outcome == "valid"


def origin(public_url: str) -> str:
    return public_url.rstrip("/")


def scheme_issuer(public_url: str, scheme_code: str) -> str:
    """The SD-JWT VC ``iss`` of a scheme's cards: an HTTPS URL, per the draft."""
    return f"{origin(public_url)}/schemes/{scheme_code}"


def hub_did(public_url: str) -> str:
    """``did:web:`` of the hub's host (a port is written ``%3A``, as did:web says)."""
    return "did:web:" + quote(urlsplit(origin(public_url)).netloc, safe="")


def scheme_did(public_url: str, scheme_code: str) -> str:
    return f"{hub_did(public_url)}:schemes:{scheme_code}"


def _listed_keys(uow: AbstractUnitOfWork, now: dt.datetime) -> list[tuple[str, SigningKeyRecord]]:
    """(scheme code or "HUB", stored key) of every key a verifier may still need."""
    ensure_keys(uow, now)
    codes = {s.id: s.code for s in uow.schemes.list()}
    return [
        (codes.get(k.scheme_id, "HUB") if k.scheme_id else "HUB", k)
        for k in uow.signing_keys.all()
        if k.listed_on(now.date())
    ]


def _jwk(stored: SigningKeyRecord) -> dict[str, Any]:
    return keys.public_key_jwk(keys.load_public_key(stored.public_key))


def jwks(*, uow: AbstractUnitOfWork, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every listed key of the hub and the schemes, as a JWK Set (RFC 7517)."""
    now = now or utcnow()
    with uow:
        found = _listed_keys(uow, now)
        uow.commit()  # keys made on first use are kept
    return {"keys": [_jwk(stored) for _, stored in found]}


def issuer_metadata(
    *, uow: AbstractUnitOfWork, public_url: str, scheme_code: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The SD-JWT VC draft's JWT VC issuer metadata of a scheme: its ``iss`` and its keys."""
    code = _known_scheme(uow, scheme_code)
    now = now or utcnow()
    with uow:
        found = [_jwk(s) for c, s in _listed_keys(uow, now) if c == code]
        uow.commit()
    return {"issuer": scheme_issuer(public_url, code), "jwks": {"keys": found}}


def did_document(
    *,
    uow: AbstractUnitOfWork,
    public_url: str,
    scheme_code: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The ``did:web`` document of the hub (``scheme_code`` None) or of a scheme, listing its
    keys as JsonWebKey2020 methods whose fragment is the ``kid``."""
    code = "HUB" if scheme_code is None else _known_scheme(uow, scheme_code)
    did = hub_did(public_url) if scheme_code is None else scheme_did(public_url, code)
    now = now or utcnow()
    with uow:
        found = [_jwk(s) for c, s in _listed_keys(uow, now) if c == code]
        uow.commit()
    methods = [
        {
            "id": f"{did}#{jwk['kid']}",
            "type": "JsonWebKey2020",
            "controller": did,
            "publicKeyJwk": {k: jwk[k] for k in ("kty", "crv", "x", "y")},
        }
        for jwk in found
    ]
    refs = [m["id"] for m in methods]
    return {
        "@context": _DID_CONTEXT,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": refs,
        "authentication": refs,
    }


def _known_scheme(uow: AbstractUnitOfWork, scheme_code: str) -> str:
    code = (scheme_code or "").strip().upper()[:20]
    with uow:
        if uow.schemes.by_code(code) is None:
            raise NotFound(f"no scheme {code}")
    return code
