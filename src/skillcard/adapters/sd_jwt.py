"""SD-JWT (RFC 9901): selectively disclosable claims, issued and verified, flat objects only.

Written here, over :mod:`skillcard.adapters.jose` for the signatures, because no maintained
Python library implements the RFC as published: ``sd-jwt`` 0.10.4 (the reference code) predates
it by two years (its disclosure checks and key binding follow draft 07), and joserfc and
jwcrypto do JOSE only. The mechanics are small: a disclosure is base64url(JSON [salt, name,
value]); the signed payload lists the SHA-256 digest of each in ``_sd``; a presentation is the
issuer's JWT, ``~``, the disclosures the holder chose, each followed by ``~``, and an optional
key-binding JWT signed by the holder's key (``cnf``) whose ``sd_hash`` covers exactly what was
presented, so no disclosure can be added or removed after the holder signed.

The tests verify what this issues with the ``sd-jwt`` reference code, which skillcard did not
write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.adapters import jose
from skillcard.adapters.jose import JoseRefused, b64

TYP = "dc+sd-jwt"  # the SD-JWT VC draft's media type (its older "vc+sd-jwt" is not accepted)
KB_TYP = "kb+jwt"
DIGEST = "sha-256"
MAX_DISCLOSURES = 64
KB_WINDOW = dt.timedelta(minutes=5)  # the clock skew tolerated everywhere else


@dataclass(frozen=True)
class Issued:
    """An issued SD-JWT: the signed JWT, and the disclosure of each claim by its name."""

    jwt: str
    disclosures: dict[str, str]

    def present(self, names) -> str:
        """The holder's presentation disclosing only ``names`` (no key binding)."""
        chosen = [self.disclosures[n] for n in self.disclosures if n in set(names)]
        return "~".join([self.jwt, *chosen]) + "~"

    @property
    def whole(self) -> str:
        return self.present(self.disclosures)


def issue(
    header: dict, plain: dict, disclosable: dict, private: ec.EllipticCurvePrivateKey
) -> Issued:
    """Sign ``plain`` claims as they are and ``disclosable`` ones as salted digests."""
    disclosures = {
        name: b64(json.dumps([b64(secrets.token_bytes(16)), name, value]).encode())
        for name, value in disclosable.items()
    }
    digests = sorted(_digest(d) for d in disclosures.values())  # sorted: the order tells nothing
    payload = {**plain, "_sd": digests, "_sd_alg": DIGEST}
    return Issued(jose.sign({**header, "typ": TYP}, payload, private), disclosures)


@dataclass(frozen=True)
class Verified:
    header: dict
    claims: dict  # the plain claims and the disclosed ones, with _sd and _sd_alg taken out
    key_bound: bool


def verify(
    text: str,
    key_for: Callable[[dict, dict], ec.EllipticCurvePublicKey],
    now: dt.datetime,
    *,
    audience: str | None = None,
) -> Verified:
    """Check an SD-JWT presentation; :class:`JoseRefused` says why one is refused.

    ``key_for(header, unverified_payload)`` finds the issuer's key (raising JoseRefused with
    ``unknown_issuer`` if there is none)."""
    if not isinstance(text, str) or len(text) > jose.MAX_TOKEN or not text.isascii():
        raise JoseRefused("malformed", "an SD-JWT is base64url text of at most 64 KB")
    if "~" not in text:
        raise JoseRefused("malformed", "an SD-JWT is a JWT followed by '~'")
    parts = text.split("~")
    issuer_jwt, disclosures, kb_jwt = parts[0], parts[1:-1], parts[-1]
    if len(disclosures) > MAX_DISCLOSURES or any(not d for d in disclosures):
        raise JoseRefused("malformed", "the disclosures are not separated by single '~'")
    header = jose.unverified_header(issuer_jwt)
    if header.get("typ") != TYP:
        raise JoseRefused("malformed", f"the SD-JWT's typ is not {TYP}")
    _, payload = jose.verify(issuer_jwt, key_for(header, _peek(issuer_jwt)))
    claims = _disclosed(payload, disclosures)
    if kb_jwt:
        _check_key_binding(payload, text[: len(text) - len(kb_jwt)], kb_jwt, now, audience)
    return Verified(header, claims, bool(kb_jwt))


def _disclosed(payload: dict, disclosures: list[str]) -> dict:
    if payload.get("_sd_alg", DIGEST) != DIGEST:
        raise JoseRefused("malformed", "the SD-JWT's digests are not sha-256")
    signed = payload.get("_sd", [])
    if not isinstance(signed, list) or len(set(map(str, signed))) != len(signed):
        raise JoseRefused("malformed", "the SD-JWT's _sd is not a list of distinct digests")
    claims = {k: v for k, v in payload.items() if k not in ("_sd", "_sd_alg")}
    seen = set()
    for disclosure in disclosures:
        digest = _digest(disclosure)
        if digest in seen:
            raise JoseRefused("malformed", "a disclosure is presented twice")
        seen.add(digest)
        name, value = _opened(disclosure)
        if digest not in signed:
            raise JoseRefused("bad_signature", "a disclosure was not signed by the issuer")
        if name in claims:
            raise JoseRefused("malformed", f"the claim {name!r} is disclosed over a plain one")
        claims[name] = value
    return claims


def _opened(disclosure: str) -> tuple[str, object]:
    try:
        item = json.loads(jose.unb64(disclosure))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise JoseRefused("malformed", "a disclosure is not base64url JSON") from None
    if not (
        isinstance(item, list) and len(item) == 3 and all(isinstance(i, str) for i in item[:2])
    ):
        raise JoseRefused("malformed", "a disclosure is not [salt, name, value]")
    if item[1] in ("_sd", "...", "_sd_alg"):
        raise JoseRefused("malformed", "a disclosure names a reserved claim")
    return item[1], item[2]


def key_binding(
    presentation: str, holder: ec.EllipticCurvePrivateKey, now: dt.datetime, audience: str
) -> str:
    """``presentation`` (ending in '~') with a key-binding JWT signed by the holder's key:
    what a wallet does; skillcard uses it in its own tests and for holders' keys."""
    payload = {
        "iat": int(now.timestamp()),
        "aud": audience,
        "nonce": b64(secrets.token_bytes(12)),
        "sd_hash": _digest(presentation),
    }
    return presentation + jose.sign({"typ": KB_TYP}, payload, holder)


def _check_key_binding(payload, presented, kb_jwt, now, audience) -> None:
    jwk = (payload.get("cnf") or {}).get("jwk") if isinstance(payload.get("cnf"), dict) else None
    if jwk is None:
        raise JoseRefused("malformed", "a key-binding JWT came with an SD-JWT bound to no key")
    header = jose.unverified_header(kb_jwt)
    if header.get("typ") != KB_TYP:
        raise JoseRefused("malformed", f"the key-binding JWT's typ is not {KB_TYP}")
    _, kb = jose.verify(kb_jwt, jose.public_key_of_jwk(jwk))
    if kb.get("sd_hash") != _digest(presented):
        raise JoseRefused("bad_signature", "the disclosures are not the ones the holder presented")
    iat = kb.get("iat")
    if not isinstance(iat, int) or abs(now.timestamp() - iat) > KB_WINDOW.total_seconds():
        raise JoseRefused("bad_signature", "the holder's key binding is not of now")
    if audience is not None and kb.get("aud") != audience:
        raise JoseRefused("bad_signature", "the holder's key binding is for another verifier")


def _peek(token: str) -> dict:
    """The unverified payload, only to find the issuer's key by ``iss`` and ``kid``."""
    try:
        payload = json.loads(jose.unb64(token.split(".")[1]))
    except (ValueError, UnicodeDecodeError, RecursionError, IndexError):
        raise JoseRefused("malformed", "the SD-JWT's payload is not base64url JSON") from None
    if not isinstance(payload, dict):
        raise JoseRefused("malformed", "the SD-JWT's payload is not a JSON object")
    return payload


def _digest(disclosure: str) -> str:
    return b64(hashlib.sha256(disclosure.encode("ascii")).digest())
