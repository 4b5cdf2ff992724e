"""Repositories of accounts: users, web sessions and API tokens. They never commit."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from skillcard.adapters.db import tables
from skillcard.adapters.db.dialect import inserted_id, written
from skillcard.adapters.db.repositories import _Repository
from skillcard.domain.accounts import User


class UserRepository(_Repository):
    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def by_email(self, email: str) -> User | None:
        return self.session.scalars(
            sa.select(User).where(tables.users.c.email == email.strip().lower())
        ).first()

    def list(self) -> list[User]:
        return list(self.session.scalars(sa.select(User).order_by(tables.users.c.email)))


class CredentialRepository(_Repository):
    """Web sessions and API tokens, stored by the SHA-256 of the secret only."""

    def add_session(
        self,
        *,
        token_hash: str,
        user_id: int,
        csrf_token: str,
        created_at: dt.datetime,
        expires_at: dt.datetime,
    ) -> None:
        self.session.execute(
            tables.web_sessions.insert().values(
                token_hash=token_hash,
                user_id=user_id,
                csrf_token=csrf_token,
                created_at=created_at,
                expires_at=expires_at,
            )
        )

    def find_session(self, token_hash: str):
        return self.session.execute(
            sa.select(tables.web_sessions).where(tables.web_sessions.c.token_hash == token_hash)
        ).first()

    def delete_session(self, token_hash: str) -> None:
        self.session.execute(
            tables.web_sessions.delete().where(tables.web_sessions.c.token_hash == token_hash)
        )

    def delete_expired_sessions(self, now: dt.datetime) -> None:
        self.session.execute(
            tables.web_sessions.delete().where(tables.web_sessions.c.expires_at < now)
        )

    def add_api_token(
        self,
        *,
        token_hash: str,
        user_id: int,
        name: str,
        created_at: dt.datetime,
        expires_at: dt.datetime,
    ) -> int:
        return inserted_id(
            self.session.execute(
                tables.api_tokens.insert().values(
                    token_hash=token_hash,
                    user_id=user_id,
                    name=name,
                    created_at=created_at,
                    expires_at=expires_at,
                )
            )
        )

    def api_tokens(self, *, user_id: int | None = None, token_id: int | None = None):
        """Tokens with their holder's e-mail (never the digest), newest first: a user's, or
        the one with ``token_id``."""
        t = tables.api_tokens.c
        columns = (t.id, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at)
        query = (
            sa.select(*columns, t.user_id, tables.users.c.email.label("user_email"))
            .join_from(tables.api_tokens, tables.users, tables.users.c.id == t.user_id)
            .order_by(t.created_at.desc(), t.id.desc())
        )
        if user_id is not None:
            query = query.where(t.user_id == user_id)
        if token_id is not None:
            query = query.where(t.id == token_id)
        return self.session.execute(query).all()

    def revoke_api_token(self, token_id: int, now: dt.datetime) -> bool:
        """Revoke a token not yet revoked; whether this call did it."""
        t = tables.api_tokens.c
        done = written(
            self.session.execute(
                tables.api_tokens.update()
                .where(t.id == token_id, t.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        )
        return done.rowcount == 1

    def note_api_token_use(self, token_id: int, now: dt.datetime, stale_before: dt.datetime):
        """Set the last use unless another request already did within the grain."""
        self.session.execute(
            NOTE_TOKEN_USE, {"token_id": token_id, "now": now, "stale_before": stale_before}
        )

    def api_token_holder(self, token_hash: str):
        """The token's dates and its user's role and ties, in one query: every API request
        asks this first, so the statement is built once (see ``TOKEN_HOLDER``)."""
        return self.session.execute(TOKEN_HOLDER, {"token_hash": token_hash}).first()


TOKEN_HOLDER = (
    sa.select(
        tables.api_tokens.c.id.label("token_id"),
        tables.api_tokens.c.expires_at,
        tables.api_tokens.c.revoked_at,
        tables.api_tokens.c.last_used_at,
        tables.users.c.id,
        tables.users.c.email,
        tables.users.c.role,
        tables.users.c.scheme_id,
        tables.users.c.cardholder_id,
        tables.users.c.business_id,
        tables.users.c.active,
    )
    .join_from(tables.api_tokens, tables.users, tables.users.c.id == tables.api_tokens.c.user_id)
    .where(tables.api_tokens.c.token_hash == sa.bindparam("token_hash"))
)
_token = tables.api_tokens.c
NOTE_TOKEN_USE = (
    tables.api_tokens.update()
    .where(_token.id == sa.bindparam("token_id"))
    .where(
        sa.or_(_token.last_used_at.is_(None), _token.last_used_at < sa.bindparam("stale_before"))
    )
    .values(last_used_at=sa.bindparam("now"))
)
