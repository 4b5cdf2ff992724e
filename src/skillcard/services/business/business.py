"""Businesses: free registration confirmed by e-mail, and the admin's colleagues (checkers),
invited by an e-mail link on which they choose their own password, and removed.

Links carry a random secret; only its SHA-256 is stored, and each link works once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from skillcard.domain.accounts import Principal, Role, User, require, tied
from skillcard.domain.business import Business, can_act_for_business, can_manage_business
from skillcard.domain.passwords import NO_PASSWORD
from skillcard.errors import Conflict, NotFound
from skillcard.services.accounts.accounts import Passwords, new_password_hash
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.outbox.outbox import queue_email
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

LINK_DAYS = 7
CONFIRM, INVITE = "confirm", "invite"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def business_id_for(who: Principal, business_id: int | None = None) -> int:
    """The business a request acts for: the user's own; a hub admin names one."""
    chosen = business_id if (who.is_hub_admin and business_id) else who.business_id
    require(chosen is not None and can_act_for_business(who, chosen), "act for a business")
    return tied(chosen, "a business's staff")


def _new_link(
    uow: AbstractUnitOfWork, *, purpose: str, user: User, business_id: int, now: dt.datetime
) -> str:
    secret = secrets.token_urlsafe(32)
    uow.business_tokens.add_token(
        token_hash=_digest(secret),
        purpose=purpose,
        user_id=user.id,
        business_id=business_id,
        created_at=now,
        expires_at=now + dt.timedelta(days=LINK_DAYS),
    )
    return secret


def register_business(
    *,
    uow: AbstractUnitOfWork,
    name: str,
    company_number: str,
    address: str,
    admin_name: str,
    email: str,
    password: str,
    public_url: str,
    passwords: Passwords | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Register a business (free) and its first admin; the admin can sign in once they open
    the confirmation link e-mailed to them. Returns the business's id."""
    now = now or utcnow()
    password_hash = new_password_hash(password, passwords)
    with uow:
        business = Business(
            name=name, company_number=company_number, address=address, created_at=now
        )
        if uow.businesses.by_company_number(business.company_number) is not None:
            raise Conflict("a business with that company registration number is registered")
        uow.businesses.add(business)
        admin = User(
            email=email,
            display_name=" ".join((admin_name or "").split())[:200] or email,
            role=Role.BUSINESS_ADMIN,
            password_hash=password_hash,
            business_id=business.id,
            active=False,
        )
        if uow.users.by_email(admin.email) is not None:
            raise Conflict("a user with that e-mail address already exists")
        uow.users.add(admin)
        secret = _new_link(uow, purpose=CONFIRM, user=admin, business_id=business.id, now=now)
        link = f"{public_url.rstrip('/')}/business/confirm/{secret}"
        queue_email(
            uow,
            to=admin.email,
            subject=f"Confirm {business.name}'s registration with skillcard",
            body=(
                f"Hello {admin.display_name},\n\n{business.name} ({business.company_number}) "
                f"was registered for Business Check with this e-mail address.\n\n"
                f"Open this link within {LINK_DAYS} days to confirm it and sign in:\n{link}\n\n"
                "If this was not you, ignore this message: nothing happens without the link."
            ),
            kind="business.confirm",
            now=now,
        )
        who = Principal(label=admin.email, role=Role.BUSINESS_ADMIN, business_id=business.id)
        record(
            uow,
            who,
            "business.register",
            "business",
            business.id,
            detail={"name": business.name, "company_number": business.company_number},
            now=now,
        )
        uow.commit()
        return business.id


def _use_link(
    uow: AbstractUnitOfWork, secret: str, purpose: str, now: dt.datetime
) -> tuple[User, Business]:
    row = uow.business_tokens.find(_digest(secret or ""))
    if row is None or row.purpose != purpose:
        raise NotFound("that link is not valid: check that you copied all of it")
    if row.used_at is not None:
        raise Conflict("that link was used already: sign in with your e-mail and password")
    if row.expires_at <= now:
        raise Conflict("that link has expired: ask for a new one")
    uow.business_tokens.mark_used(row.token_hash, now)
    user = on_record(uow.users.get(row.user_id), "the link's user")
    return user, on_record(uow.businesses.get(row.business_id), "the link's business")


def confirm_registration(
    *, uow: AbstractUnitOfWork, token: str, now: dt.datetime | None = None
) -> str:
    """Open the confirmation link: the business is confirmed, its admin may sign in. Returns
    the admin's e-mail address."""
    now = now or utcnow()
    with uow:
        user, business = _use_link(uow, token, CONFIRM, now)
        user.active, business.confirmed = True, True
        who = Principal.of(user)
        record(uow, who, "business.confirm", "business", business.id, now=now)
        uow.commit()
        return user.email


def invite_checker(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    email: str,
    display_name: str = "",
    public_url: str,
    business_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """An admin invites a colleague as a business checker: they get an e-mail link on which
    they choose their password. Returns the new user's id."""
    now = now or utcnow()
    business_id = business_id_for(who, business_id)
    require(can_manage_business(who, business_id), "invite people to this business")
    with uow:
        business = on_record(uow.businesses.get(business_id), "the business")
        user = User(
            email=email,
            display_name=" ".join((display_name or "").split())[:200] or email,
            role=Role.BUSINESS_CHECKER,
            password_hash=NO_PASSWORD,
            business_id=business_id,
            active=False,
        )
        if uow.users.by_email(user.email) is not None:
            raise Conflict("a user with that e-mail address already exists")
        uow.users.add(user)
        secret = _new_link(uow, purpose=INVITE, user=user, business_id=business_id, now=now)
        queue_email(
            uow,
            to=user.email,
            subject=f"{business.name} invites you to check cards with skillcard",
            body=(
                f"Hello {user.display_name},\n\n{who.label} invites you to check skills cards "
                f"for {business.name}.\n\nOpen this link within {LINK_DAYS} days and choose "
                f"a password:\n{public_url.rstrip('/')}/business/invite/{secret}\n"
            ),
            kind="business.invite",
            now=now,
        )
        record(uow, who, "business.invite", "user", user.email, detail={"business": business_id})
        uow.commit()
        return user.id


def accept_invitation(
    *,
    uow: AbstractUnitOfWork,
    token: str,
    password: str,
    passwords: Passwords | None = None,
    now: dt.datetime | None = None,
) -> str:
    """The invited checker chooses their password; returns their e-mail address."""
    now = now or utcnow()
    password_hash = new_password_hash(password, passwords)
    with uow:
        user, _business = _use_link(uow, token, INVITE, now)
        user.password_hash = password_hash
        user.active = True
        record(uow, Principal.of(user), "business.join", "user", user.email, now=now)
        uow.commit()
        return user.email


def remove_user(
    *, uow: AbstractUnitOfWork, who: Principal, user_id: int, business_id: int | None = None
) -> None:
    """An admin removes a colleague: their account stops working at once (sessions, tokens)."""
    business_id = business_id_for(who, business_id)
    require(can_manage_business(who, business_id), "remove people from this business")
    with uow:
        user = uow.users.get(user_id)
        if user is None or user.business_id != business_id:
            raise NotFound(f"no user {user_id} in your business")
        if user.id == who.user_id:
            raise Conflict("you cannot remove yourself")
        user.active = False
        record(uow, who, "business.remove_user", "user", user.email)
        uow.commit()


def business_people(
    *, uow: AbstractUnitOfWork, who: Principal, business_id: int | None = None
) -> tuple[Business, list[User]]:
    business_id = business_id_for(who, business_id)
    with uow:
        business = uow.businesses.get(business_id)
        if business is None:
            raise NotFound("no such business")
        return business, uow.businesses.users_of(business_id)
