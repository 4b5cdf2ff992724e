"""Users, sign-in sessions for pages, and bearer tokens for machine clients.

Secrets are shown once and stored only as SHA-256 digests: a copy of the database lets no one
sign in. Sessions live in the database so any number of server processes share them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from skillcard.domain.accounts import (
    LAST_USED_GRAIN,
    MAX_API_TOKEN_DAYS,
    SCHEME_SCOPED,
    Principal,
    Role,
    User,
    last_use_is_stale,
    require,
)
from skillcard.domain.names import clean_name
from skillcard.domain.passwords import check_new_password
from skillcard.errors import InvalidInput, NotAuthenticated, NotFound, SessionExpired
from skillcard.services.accounts import api_tokens
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.ports.accounts import ApiTokenHolder
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork

TOKEN_PREFIX = "sc_"


class Passwords(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, stored_hash: str | None, password: str) -> bool: ...


_passwords: Passwords | None = None


def default_passwords() -> Passwords:
    """The hasher for callers that pass none: Argon2id at the recommended strength, unless
    :func:`use_default_passwords` chose another. The web app and the CLI always pass the one
    their settings chose (``Settings.passwords``); scripts and tests that call the services
    directly get this one."""
    global _passwords
    if _passwords is None:
        from skillcard.adapters.passwords import Argon2Passwords

        _passwords = Argon2Passwords()
    return _passwords


def use_default_passwords(passwords: Passwords | None) -> None:
    """Set (None: reset) the hasher of callers that pass none."""
    global _passwords
    _passwords = passwords


def new_password_hash(password: str, passwords: Passwords | None = None) -> str:
    """What to store for a new password, once the rule for new passwords accepts it (every
    door where a password is chosen comes through here)."""
    from skillcard.adapters.passwords import common_passwords

    check_new_password(password, common_passwords())
    return (passwords or default_passwords()).hash(password)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_user(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    email: str,
    display_name: str,
    role: str,
    password: str,
    scheme_code: str | None = None,
    cardholder_id: int | None = None,
    business_id: int | None = None,
    passwords: Passwords | None = None,
) -> int:
    require(who.is_hub_admin, "add users")
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(f"role must be one of: {', '.join(r.value for r in Role)}") from None
    password_hash = new_password_hash(password, passwords)
    with uow:
        scheme_id = None
        if scheme_code:
            scheme_id = scheme_named(uow, scheme_code).id
        if role in SCHEME_SCOPED and scheme_id is None:
            raise InvalidInput(f"a {role.value} needs a scheme (--scheme)")
        if cardholder_id is not None and uow.cardholders.get(cardholder_id) is None:
            raise NotFound(f"there is no cardholder {cardholder_id}")
        user = User(
            email=email,
            display_name=clean_name(display_name) or email,
            role=role,
            password_hash=password_hash,
            scheme_id=scheme_id,
            cardholder_id=cardholder_id,
            business_id=business_id,
        )
        uow.users.add(user)
        record(
            uow,
            who,
            "user.add",
            "user",
            user.email,
            detail={"role": role.value, "scheme": scheme_code or ""},
        )
        uow.commit()
        return user.id


@dataclass(frozen=True)
class SignedIn:
    token: str  # the cookie's value: shown once, never stored
    csrf_token: str
    principal: Principal
    expires_at: dt.datetime


def _check_password(
    uow: AbstractUnitOfWork, email: str, password: str, passwords: Passwords | None
) -> User:
    with uow:
        user = uow.users.by_email(email or "")
    # Outside the transaction: a hash takes tens of milliseconds of CPU (far more under a flood
    # of guesses), and a connection, or SQLite's write lock, held meanwhile starves the rest.
    ok = (passwords or default_passwords()).verify(
        user.password_hash if user else None, password or ""
    )
    if not ok or user is None or not user.active:
        raise NotAuthenticated("that e-mail address and password do not match an account")
    return user


def authenticate(
    *, uow: AbstractUnitOfWork, email: str, password: str, passwords: Passwords | None = None
) -> Principal:
    """Who an e-mail and password belong to; one answer for every kind of failure."""
    return Principal.of(_check_password(uow, email, password, passwords))


def sign_in(
    *,
    uow: AbstractUnitOfWork,
    email: str,
    password: str,
    session_hours: float,
    now: dt.datetime | None = None,
    passwords: Passwords | None = None,
) -> SignedIn:
    now = now or utcnow()
    user = _check_password(uow, email, password, passwords)
    with uow:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + dt.timedelta(hours=session_hours)
        uow.credentials.delete_expired_sessions(now)
        uow.credentials.add_session(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=expires,
        )
        uow.commit()
        return SignedIn(token, csrf, Principal.of(user), expires)


def session_principal(
    *, uow: AbstractUnitOfWork, token: str, now: dt.datetime | None = None
) -> tuple[Principal, str]:
    """Who a session cookie belongs to, and the session's CSRF token."""
    now = now or utcnow()
    with uow:
        row = uow.credentials.find_session(_digest(token)) if token else None
        if row is None:
            raise NotAuthenticated("please sign in")
        if row.expires_at <= now:
            raise SessionExpired("your session has expired: please sign in again")
        user = uow.users.get(row.user_id)
        if user is None or not user.active:
            raise NotAuthenticated("please sign in")
        return Principal.of(user), row.csrf_token


def sign_out(*, uow: AbstractUnitOfWork, token: str) -> None:
    with uow:
        uow.credentials.delete_session(_digest(token))
        uow.commit()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def create_api_token(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    email: str,
    name: str,
    days: int,
    now: dt.datetime | None = None,
) -> str:
    """A new bearer token for ``email``'s account: a user for themselves, a hub admin for any."""
    now = now or utcnow()
    if not 1 <= days <= MAX_API_TOKEN_DAYS:
        raise InvalidInput(f"a token lasts 1 to {MAX_API_TOKEN_DAYS} days")
    with uow:
        user = uow.users.by_email(email)
        if user is None:
            raise NotFound(f"there is no user {email!r}")
        require(who.is_hub_admin or who.user_id == user.id, "create tokens for other users")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        uow.credentials.add_api_token(
            token_hash=_digest(token),
            user_id=user.id,
            name=name.strip()[:100] or "token",
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        record(uow, who, "token.create", "user", user.email, detail={"name": name})
        uow.commit()
        return token


def token_principal(
    *,
    uow: AbstractUnitOfWork,
    token: str,
    now: dt.datetime | None = None,
    note_use: Callable[[], AbstractUnitOfWork] | None = None,
) -> Principal:
    """Who a bearer token acts for, read from the database on every request (no cache: a
    revoked token is refused at once everywhere). ``note_use`` gives a writing unit of work
    to note the token's last use, at most once a minute."""
    now = now or utcnow()
    with uow:
        who, row = _token_holder(uow, token, now)
    if note_use is not None and last_use_is_stale(row.last_used_at, now):
        api_tokens.note_use(
            uow=note_use(), token_id=row.token_id, now=now, stale_before=now - LAST_USED_GRAIN
        )
    return who


def token_principal_within(uow: AbstractUnitOfWork, token: str, now: dt.datetime) -> Principal:
    """``token_principal`` inside a writing unit of work the caller has open and commits:
    the look-up and the last-use note are part of the caller's transaction. For the busiest
    writes (an HSE answer: every click of every candidate), where a transaction of its own
    for the token was three of the request's eight round trips to the database."""
    who, row = _token_holder(uow, token, now)
    if last_use_is_stale(row.last_used_at, now):
        uow.credentials.note_api_token_use(row.token_id, now, now - LAST_USED_GRAIN)
    return who


def _token_holder(
    uow: AbstractUnitOfWork, token: str, now: dt.datetime
) -> tuple[Principal, ApiTokenHolder]:
    row = uow.credentials.api_token_holder(_digest(token)) if token else None
    who = token_holder_principal(row, now)
    assert row is not None  # refused otherwise
    return who, row


def token_holder_principal(row: ApiTokenHolder | None, now: dt.datetime) -> Principal:
    """Who the token found (``row``, by :func:`token_hash`) acts for: refused if none was
    found, if it is revoked or expired, or if its user is no longer active."""
    if row is None or row.revoked_at is not None or not row.active:
        raise NotAuthenticated("the API token is not valid")
    if row.expires_at <= now:
        raise SessionExpired("the API token has expired")
    return Principal.of(row)  # the row has the user's fields Principal.of reads


def token_hash(token: str) -> str:
    """What a bearer token is stored and looked up as."""
    return _digest(token)
