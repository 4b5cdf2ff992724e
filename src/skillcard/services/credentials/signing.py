"""Signing keys: every scheme and the hub get one, rotation, and opening a key to sign with.

Functions taking ``uow`` without opening it (``ensure_keys``, ``ensure_key``,
``current_signer``) run inside the caller's transaction; ``rotate_key`` and ``list_keys`` are
use cases that open and commit their own. Private keys are sealed with the settings'
``secret_key`` (:mod:`skillcard.adapters.keys`) and opened only to sign.

A rotation never breaks a valid card: the old key is retired, not deleted. Its signing window
ends now, and it stays in the trust list, verify-only, until the last expiry date of the
scheme's cards (``verify_until``), so every credential it signed while current still checks
out as ``valid``.

A scheme that holds its own keys (:mod:`skillcard.services.credentials.scheme_keys`) gets no
hub-held key: nothing here signs its cards (:class:`SchemeHoldsOwnKeys`), and its status list
is signed with the hub's key (:func:`status_list_signer`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.domain.accounts import Principal, require
from skillcard.domain.calendar import card_day
from skillcard.domain.signing import SigningKeyRecord, can_rotate_key
from skillcard.errors import Conflict, InvalidInput
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.crypto import keys
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

HUB = "HUB"  # how the hub's own key is named where a scheme code would be
SYSTEM = Principal.operator()


class SchemeHoldsOwnKeys(Conflict):
    """The hub was asked to sign for a scheme that signs its own credentials."""

    code = "scheme_holds_own_keys"


def _new_key(
    uow: AbstractUnitOfWork, scheme_id: int | None, now: dt.datetime
) -> tuple[SigningKeyRecord, ec.EllipticCurvePrivateKey] | tuple[None, None]:
    private = keys.generate_private_key()
    record_ = SigningKeyRecord(
        kid=keys.key_id(private),
        scheme_id=scheme_id,
        public_key=keys.public_key_bytes(private),
        private_key_encrypted=keys.encrypt_private_key(private, uow.secret_key),
        valid_from=now,
    )
    if not uow.signing_keys.add(record_):
        return None, None  # another transaction made the scheme's current key first
    return record_, private


def ensure_key(uow: AbstractUnitOfWork, scheme_id: int | None, now: dt.datetime) -> bool:
    """Give a scheme (None: the hub) a current key if it has none and does not hold its own;
    True if one was made."""
    if uow.signing_keys.current(scheme_id) is not None:
        return False
    if scheme_id is not None and uow.signing_keys.holds_own_keys(scheme_id):
        return False
    made, _ = _new_key(uow, scheme_id, now)
    if made is None:
        return False
    _audit(uow, SYSTEM, "key.create", made, scheme_id, now)
    return True


def ensure_keys(uow: AbstractUnitOfWork, now: dt.datetime | None = None) -> int:
    """Every scheme and the hub get a current key if they lack one (idempotent); how many
    keys were made. Runs in the caller's transaction: the caller commits."""
    now = now or utcnow()
    have = uow.signing_keys.scheme_ids_with_current_key()
    made = 0
    for scheme_id in [None, *(s.id for s in uow.schemes.list())]:
        if scheme_id not in have:
            made += ensure_key(uow, scheme_id, now)
    return made


def current_signer(
    uow: AbstractUnitOfWork,
    scheme_id: int | None,
    secret_key: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """The key id and the opened private key that sign for a scheme (None: the hub) now,
    made on first use (valid from ``now``). :class:`SchemeHoldsOwnKeys` for a scheme that
    signs its own credentials: the hub has no key of it to sign with."""
    stored = uow.signing_keys.current(scheme_id)
    if stored is None:
        if scheme_id is not None and uow.signing_keys.holds_own_keys(scheme_id):
            raise SchemeHoldsOwnKeys(
                "this scheme signs its own credentials: the hub holds no key to sign its "
                "cards with (the scheme's own system makes its QR codes)"
            )
        ensure_key(uow, scheme_id, now or utcnow())
        stored = on_record(uow.signing_keys.current(scheme_id), "the signing key")
    sealed = on_record(stored.private_key_encrypted, f"the private key of {stored.kid}")
    private = keys.decrypt_private_key(sealed, secret_key or uow.secret_key, stored.kid)
    return stored.kid, private


def status_list_signer(
    uow: AbstractUnitOfWork, scheme_id: int, now: dt.datetime
) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """What signs a scheme's status list: its hub-held key, or, for a scheme that holds its
    own keys, the hub's key. The hub keeps every card's status, and its key already vouches
    for every key in the trust list, so a verifier trusting it for the list trusts no one new."""
    # asked in this order so that the common case (a hub-held key) costs one query
    if uow.signing_keys.current(scheme_id) is None and uow.signing_keys.holds_own_keys(scheme_id):
        return current_signer(uow, None, now=now)
    return current_signer(uow, scheme_id, now=now)


def rotate_key(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    reason: str,
    now: dt.datetime | None = None,
) -> SigningKeyRecord:
    """A new current key for the scheme (``HUB``: the hub); the old one is retired with its
    signing window ending now. The scheme's status list is re-signed with the new key."""
    from skillcard.services.credentials import status_lists  # it signs with keys from here

    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required for rotating a key")
    with uow:
        is_hub = scheme_code.strip().upper() == HUB
        scheme_id = None if is_hub else scheme_named(uow, scheme_code).id
        require(can_rotate_key(who, scheme_id), f"rotate the signing key of {scheme_code}")
        if scheme_id is not None and uow.signing_keys.holds_own_keys(scheme_id):
            raise SchemeHoldsOwnKeys(
                f"{scheme_code} holds its own keys: it registers a new one and retires the old"
            )
        old = uow.signing_keys.current(scheme_id, lock=True)
        if old is not None:
            last = uow.status_lists.latest_expiry(scheme_id) if scheme_id else None
            old.retire(now=now, verify_until=last or card_day(now))
            uow.signing_keys.save(old)
        new, _ = _new_key(uow, scheme_id, now)
        if new is None:
            raise Conflict("the key was made or rotated by someone else just now: try again")
        _audit(uow, who, "key.rotate", new, scheme_id, now, reason, old.kid if old else None)
        if scheme_id is not None:
            status_lists.rebuild_status_list(uow, scheme_id, now)
        uow.commit()
        return new


@dataclass(frozen=True)
class KeyView:
    kid: str
    scheme: str
    status: str
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    verify_until: dt.date | None
    holder: str = "hub"


def list_keys(*, uow: AbstractUnitOfWork, now: dt.datetime | None = None) -> list[KeyView]:
    """Every stored key, current and retired, making any that are missing first."""
    with uow:
        ensure_keys(uow, now)
        codes: dict[int | None, str] = {s.id: s.code for s in uow.schemes.list()}
        views = [
            KeyView(
                k.kid,
                codes.get(k.scheme_id, HUB),
                str(k.status),
                k.valid_from,
                k.valid_until,
                k.verify_until,
                str(k.holder),
            )
            for k in uow.signing_keys.all()
        ]
        uow.commit()
        return views


def _audit(
    uow: AbstractUnitOfWork,
    who: Principal,
    action: str,
    key: SigningKeyRecord,
    scheme_id: int | None,
    now: dt.datetime,
    reason: str = "",
    retired: str | None = None,
) -> None:
    detail = {"scheme_id": scheme_id, "kid": key.kid}
    if retired:
        detail["retired"] = retired
    record(uow, who, action, "signing_key", key.kid, reason=reason, detail=detail, now=now)
