"""Changing a password, resetting a forgotten one by an e-mailed link, and a reset forced by a
hub admin.

What each one ends, and why:
- a change (the current password given) ends the user's other page sessions; the session it
  was made from stays, and API tokens stay (the user made them on purpose; they revoke them
  one by one);
- a reset, or a forced reset, ends every page session and revokes every API token: it follows
  a lost or stolen password, and whoever had it may have made sessions and tokens with it.
Reset links are random, stored as SHA-256 only, work once, expire, and a newer one (or a new
password) ends the older ones. Asking for a reset answers the same whether or not the address
has an account; the e-mail leaves through the outbox, so neither answer waits for a mail server.
"""

from __future__ import annotations

import datetime as dt
import secrets

from skillcard.domain.accounts import Principal, User, require, tied
from skillcard.domain.passwords import NO_PASSWORD, ResetLink, link_not_found, link_used
from skillcard.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from skillcard.services.accounts.accounts import (
    Passwords,
    _digest,
    default_passwords,
    new_password_hash,
)
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.outbox.outbox import queue_email
from skillcard.services.unit_of_work import AbstractUnitOfWork

RESET_PATH = "/password/reset/"


def change_password(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    current_password: str,
    new_password: str,
    session_token: str | None = None,
    passwords: Passwords | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Change the signed-in user's own password; ``session_token`` is the page session to keep
    (none from the API). Returns how many other sessions were ended."""
    now = now or utcnow()
    require(who.user_id is not None, "change a password without signing in as its user")
    if not current_password:
        raise InvalidInput("enter your current password", field="current_password")
    password_hash = new_password_hash(new_password, passwords)
    with uow:
        user = uow.users.get(tied(who.user_id, "a signed-in user"))
        if user is None or not user.active:
            raise NotAuthenticated("please sign in")
        if not (passwords or default_passwords()).verify(user.password_hash, current_password):
            raise InvalidInput("your current password is not right", field="current_password")
        if new_password == current_password:
            raise InvalidInput("choose a new password, not the one you have now")
        user.password_hash = password_hash
        keep = _digest(session_token) if session_token else None
        ended = uow.password_resets.end_sessions(user.id, keep_token_hash=keep)
        uow.password_resets.end_links(user.id, now)
        detail = {"other_sessions_ended": ended}
        record(uow, who, "password.change", "user", user.email, detail=detail, now=now)
        uow.commit()
        return ended


def request_password_reset(
    *,
    uow: AbstractUnitOfWork,
    email: str,
    public_url: str,
    minutes: int,
    now: dt.datetime | None = None,
) -> None:
    """E-mail a reset link if ``email`` has an active account. Says nothing either way, so
    that the answer cannot tell anyone which addresses have accounts."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)  # made either way: both answers do the same work
    with uow:
        uow.password_resets.delete_expired(now)
        user = uow.users.by_email((email or "")[:254])
        if user is not None and user.active:
            _send_link(uow, user, secret, public_url, minutes, now, forced=False)
            # Not signed in: whoever asked is anonymous (it need not be the account's owner).
            asker = Principal(label="anonymous", role=user.role)
            record(uow, asker, "password.reset_request", "user", user.email, now=now)
        uow.commit()


def check_reset_link(
    *, uow: AbstractUnitOfWork, token: str, now: dt.datetime | None = None
) -> None:
    """Raise unless the link may still set a password (so a dead link is said at once)."""
    now = now or utcnow()
    with uow:
        _usable_link(uow, token, now)


def reset_password(
    *,
    uow: AbstractUnitOfWork,
    token: str,
    new_password: str,
    passwords: Passwords | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Choose a new password through a reset link; every session and API token of the user
    ends. Returns the user's e-mail address."""
    now = now or utcnow()
    password_hash = new_password_hash(new_password, passwords)  # a refusal keeps the link
    with uow:
        link, user = _usable_link(uow, token, now)
        if not uow.password_resets.use(link.token_hash, now):
            raise link_used()  # the same link sent twice at once: only one may win
        user.password_hash = password_hash
        uow.password_resets.end_links(user.id, now)
        detail = _end_all(uow, user, now)
        who = Principal.of(user)
        record(uow, who, "password.reset", "user", user.email, detail=detail, now=now)
        uow.commit()
        return user.email


def force_password_reset(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    email: str,
    public_url: str,
    minutes: int,
    now: dt.datetime | None = None,
) -> None:
    """A hub admin stops a user's password working at once (their sessions and API tokens
    end) and e-mails them a link to choose a new one."""
    now = now or utcnow()
    require(who.is_hub_admin, "force a password reset")
    with uow:
        user = uow.users.by_email((email or "")[:254])
        if user is None:
            raise NotFound(f"there is no user {email.strip().lower()!r}")
        if not user.active:
            raise Conflict("that account is switched off: it has no password to reset")
        user.password_hash = NO_PASSWORD
        detail = _end_all(uow, user, now)
        _send_link(uow, user, secrets.token_urlsafe(32), public_url, minutes, now, forced=True)
        record(uow, who, "password.force_reset", "user", user.email, detail=detail, now=now)
        uow.commit()


def _usable_link(uow: AbstractUnitOfWork, token: str, now: dt.datetime) -> tuple[ResetLink, User]:
    link = uow.password_resets.find(_digest((token or "")[:100]))
    if link is None:
        raise link_not_found()
    link.check_usable(now)
    user = uow.users.get(link.user_id)
    if user is None or not user.active:
        raise link_not_found()
    return link, user


def _end_all(uow: AbstractUnitOfWork, user: User, now: dt.datetime) -> dict[str, int]:
    return {
        "sessions_ended": uow.password_resets.end_sessions(user.id),
        "api_tokens_revoked": uow.password_resets.revoke_api_tokens(user.id, now),
    }


def _send_link(
    uow: AbstractUnitOfWork,
    user: User,
    secret: str,
    public_url: str,
    minutes: int,
    now: dt.datetime,
    *,
    forced: bool,
) -> None:
    uow.password_resets.end_links(user.id, now)  # only the newest link works
    uow.password_resets.add(
        ResetLink(
            token_hash=_digest(secret),
            user_id=user.id,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
        )
    )
    link = f"{public_url.rstrip('/')}{RESET_PATH}{secret}"
    if forced:
        opening = (
            "An administrator has reset the password of your skillcard account: the old one "
            "no longer works, and you have been signed out everywhere."
        )
    else:
        opening = "Someone asked to reset the password of your skillcard account."
    queue_email(
        uow,
        to=user.email,
        subject="Choose a new skillcard password",
        body=(
            f"Hello {user.display_name},\n\n{opening}\n\n"
            f"Open this link within {minutes} minutes to choose a new password:\n{link}\n\n"
            "The link works once. If you did not ask for it, you can ignore this message"
            + (": your password has not changed.\n" if not forced else ".\n")
        ),
        kind="password.force_reset" if forced else "password.reset",
        now=now,
    )
