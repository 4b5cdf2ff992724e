"""Scheme connectors: an API credential of a scheme's own system, bound to that scheme.

A connector is an account with the role ``scheme_connector`` and the scheme's id, that can
never sign in with a password (it has none), holding a bearer token made with it. It may send
its scheme's card records and read its imports (``can_send_cards``) and nothing else: every
other rule asks for another role. A scheme admin makes one for their scheme; it is revoked as
any token is (``skillcard user`` / the tokens page / DELETE /api/v1/tokens/{id}).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from skillcard.domain.accounts import Principal, Role, User, can_manage_scheme, require
from skillcard.errors import InvalidInput
from skillcard.services.accounts.accounts import create_api_token
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork

NO_PASSWORD = "!connector"  # not a hash: no password ever matches it
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Connector:
    email: str
    scheme_code: str
    token: str  # shown once


def create_connector(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    name: str,
    days: int = 365,
    now: dt.datetime | None = None,
) -> Connector:
    """A connector of ``scheme_code`` named ``name`` (lower-case letters, digits, dashes)
    with a token lasting ``days``; a scheme admin of that scheme or a hub admin only."""
    now = now or utcnow()
    slug = (name or "").strip().lower()
    if not _NAME.match(slug):
        raise InvalidInput("a connector's name is 1 to 40 lower-case letters, digits or dashes")
    with uow:
        scheme = scheme_named(uow, scheme_code)
        require(can_manage_scheme(who, scheme.id), f"make {scheme.code} connectors")
        email = f"{slug}.{scheme.code.lower()}@connectors.invalid"
        user = User(
            email=email,
            display_name=f"{scheme.code} connector {slug}",
            role=Role.SCHEME_CONNECTOR,
            password_hash=NO_PASSWORD,
            scheme_id=scheme.id,
        )
        uow.users.add(user)
        record(uow, who, "connector.create", "user", email, now=now, detail={"scheme": scheme.code})
        uow.commit()
    token = create_api_token(
        uow=uow, who=Principal.operator(), email=email, name=f"connector {slug}", days=days, now=now
    )
    return Connector(email, scheme.code, token)
