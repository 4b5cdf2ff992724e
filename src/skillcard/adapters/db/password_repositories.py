"""Repositories of password changes and resets: the reset links, and ending a user's sign-ins
(web sessions, API tokens) when their password changes. They never commit."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from skillcard.adapters.db import tables
from skillcard.adapters.db.dialect import written
from skillcard.adapters.db.repositories import _Repository
from skillcard.domain.passwords import ResetLink
from skillcard.services.unit_of_work import AbstractUnitOfWork

_links = tables.password_resets


def attach(uow: AbstractUnitOfWork, session: Session) -> None:
    """Give a unit of work this area's repositories (called on entering it)."""
    uow.password_resets = PasswordResetRepository(session)


class PasswordResetRepository(_Repository):
    def add(self, link: ResetLink) -> None:
        self.session.execute(
            _links.insert().values(
                token_hash=link.token_hash,
                user_id=link.user_id,
                created_at=link.created_at,
                expires_at=link.expires_at,
            )
        )

    def find(self, token_hash: str) -> ResetLink | None:
        row = self.session.execute(
            sa.select(_links).where(_links.c.token_hash == token_hash)
        ).first()
        return ResetLink(**row._mapping) if row else None

    def use(self, token_hash: str, now: dt.datetime) -> bool:
        """Mark the link used; False if it was used (or ended) meanwhile."""
        return (
            written(
                self.session.execute(
                    _links.update()
                    .where(_links.c.token_hash == token_hash, _links.c.used_at.is_(None))
                    .values(used_at=now)
                )
            ).rowcount
            == 1
        )

    def end_links(self, user_id: int, now: dt.datetime) -> None:
        """Every unused link of the user stops working (a newer one, or a new password)."""
        self.session.execute(
            _links.update()
            .where(_links.c.user_id == user_id, _links.c.used_at.is_(None))
            .values(used_at=now)
        )

    def delete_expired(self, now: dt.datetime) -> None:
        self.session.execute(_links.delete().where(_links.c.expires_at < now))

    def end_sessions(self, user_id: int, *, keep_token_hash: str | None = None) -> int:
        """Sign the user out of every page session but the one kept; how many ended."""
        sessions = tables.web_sessions
        query = sessions.delete().where(sessions.c.user_id == user_id)
        if keep_token_hash is not None:
            query = query.where(sessions.c.token_hash != keep_token_hash)
        return written(self.session.execute(query)).rowcount

    def revoke_api_tokens(self, user_id: int, now: dt.datetime) -> int:
        """Revoke every API token of the user still in force; how many."""
        tokens = tables.api_tokens
        return written(
            self.session.execute(
                tokens.update()
                .where(tokens.c.user_id == user_id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        ).rowcount
