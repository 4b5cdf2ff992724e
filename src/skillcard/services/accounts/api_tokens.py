"""Seeing and revoking API tokens: a user their own, a hub admin anyone's.

A token's secret is shown once, when it is made (``accounts.create_api_token``), and never
again: the database keeps only its digest. Nothing caches a token's look-up in a process,
so a revocation or an expiry refuses the token at once in every server process.
"""

from __future__ import annotations

import datetime as dt

from skillcard.domain.accounts import ApiToken, Principal
from skillcard.errors import NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.ports.accounts import ApiTokenRow
from skillcard.services.unit_of_work import AbstractUnitOfWork


def list_api_tokens(*, uow: AbstractUnitOfWork, who: Principal, email: str) -> list[ApiToken]:
    """``email``'s tokens, newest first, revoked and expired ones included."""
    with uow:
        user = uow.users.by_email(email or "")
        if user is None or not (who.is_hub_admin or who.user_id == user.id):
            # Another user's address gets the same answer as an unknown one.
            raise NotFound(f"there is no user {email!r} whose tokens you may see")
        return [_token(row) for row in uow.credentials.api_tokens(user_id=user.id)]


def revoke_api_token(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    token_id: int,
    email: str | None = None,
    now: dt.datetime | None = None,
) -> ApiToken:
    """Revoke one token: its holder's own, or any (hub admins). Revoking it again is a no-op.
    With ``email``, the token must be that user's (a guard against a mistyped id)."""
    now = now or utcnow()
    with uow:
        rows = uow.credentials.api_tokens(token_id=token_id)
        if not rows or not (who.is_hub_admin or who.user_id == rows[0].user_id):
            raise NotFound(f"you have no API token {token_id}")
        if email is not None and rows[0].user_email != email.strip().lower():
            raise NotFound(f"{email} has no API token {token_id}")
        if uow.credentials.revoke_api_token(token_id, now):
            record(
                uow,
                who,
                "token.revoke",
                "user",
                rows[0].user_email,
                detail={"token_id": token_id, "name": rows[0].name},
                now=now,
            )
        token = _token(uow.credentials.api_tokens(token_id=token_id)[0])
        uow.commit()
        return token


def note_use(
    *, uow: AbstractUnitOfWork, token_id: int, now: dt.datetime, stale_before: dt.datetime
) -> None:
    """Note that a token was used now, unless a request did within the grain (concurrent
    requests of one token then write once between them)."""
    with uow:
        uow.credentials.note_api_token_use(token_id, now, stale_before)
        uow.commit()


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_email=row.user_email,
        name=row.name,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
