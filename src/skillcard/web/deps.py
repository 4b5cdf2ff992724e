"""Typed dependencies that keep routes short: the unit of work and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from skillcard.adapters.db.replica import replica_first
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.rate_limits import budget_counter
from skillcard.config import Settings
from skillcard.domain.accounts import Principal
from skillcard.domain.checks import client_key
from skillcard.errors import NotAuthenticated
from skillcard.services.accounts import accounts
from skillcard.services.accounts.accounts import Passwords
from skillcard.services.business.business_budget import Budget
from skillcard.services.checks.rate_limits import DatabaseRateLimiter, RateLimiter

SESSION_COOKIE = "skillcard_session"
T = TypeVar("T")


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use; read-only ones keep SQLite's reads lock-free. One
    per app (``app.state.uows``), made by create_app from its own settings: the secret that
    opens the signing keys travels with the units of work, not through a global. Every unit
    of work is on the primary, but for :meth:`replica_first`'s."""

    def __init__(
        self,
        engine: Engine,
        secret_key: str,
        read_engine: Engine | None = None,
        *,
        max_lag: float = 5.0,
    ) -> None:
        self.engine, self.secret_key, self.read_engine = engine, secret_key, read_engine
        self.max_lag = max_lag  # seconds a replica may be behind and still be read

    def __call__(self, read_only: bool = False) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine, read_only=read_only, secret_key=self.secret_key)

    def replica_first(self, work: Callable[[SqlAlchemyUnitOfWork], T]) -> T:
        """``work(uow)`` on the read replica (``SKILLCARD_READ_DATABASE_URL``) if there is
        one, else (or if it cannot) on the primary: for reads that may be a moment behind."""
        return replica_first(
            self.engine, self.read_engine, work, secret_key=self.secret_key, max_lag=self.max_lag
        )


# The dependencies that do no I/O are async: FastAPI then runs them on the event loop rather
# than handing each to a worker thread and back, which under load costs more than they do.
async def get_uow_factory(request: Request) -> UnitOfWorkFactory:
    return request.app.state.uows


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_passwords(request: Request) -> Passwords:
    """The app's password hasher, chosen by create_app from its settings."""
    return request.app.state.passwords


async def bearer_token(request: Request) -> str:
    """The API is for machine clients: a bearer token, never the page's cookie (no CSRF).
    Read without I/O, so a request without one is refused before anything else."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an API token: Authorization: Bearer <token>")
    return token.strip()


def api_principal(
    token: Annotated[str, Depends(bearer_token)],
    uows: Annotated[UnitOfWorkFactory, Depends(get_uow_factory)],
) -> Principal:
    return accounts.token_principal(uow=uows(read_only=True), token=token, note_use=uows)


async def optional_api_principal(
    request: Request, uows: Annotated[UnitOfWorkFactory, Depends(get_uow_factory)]
) -> Principal | None:
    """For public routes: no token is anonymous; a token sent must be a good one (401).
    Async, so that an anonymous request (most Smart Checks) costs no hop to a worker thread;
    only a token's look-up goes to one."""
    if not request.headers.get("authorization"):
        return None
    return await run_in_threadpool(api_principal, await bearer_token(request), uows)


async def get_rate_limiter(request: Request) -> RateLimiter:
    """The app's rate limiter, made on first use: Redis if configured (``limits``: fails
    open, a guarded door asks for its ``guarded()`` twin), else the database."""
    state = request.app.state
    if getattr(state, "rate_limiter", None) is None:
        if state.settings.redis_url:
            from skillcard.adapters.rate_limits import LimitsRateLimiter

            state.rate_limiter = LimitsRateLimiter.from_url(state.settings.redis_url)
        else:
            state.rate_limiter = DatabaseRateLimiter(state.uows)
    return state.rate_limiter


async def get_budget(request: Request) -> Budget:
    """The business check budget: the settings' rules, counted in Redis if configured, else in
    the database (as the rate limiter's counters)."""
    state = request.app.state
    if getattr(state, "budget", None) is None:
        counter = budget_counter(state.settings.redis_url)
        state.budget = Budget(state.settings.budget_rules(), counter)
    return state.budget


async def anonymous_client(request: Request) -> str:
    """A keyed hash of the client's address (uvicorn puts a trusted proxy's X-Forwarded-For
    there): what the check log and the rate counters know of an anonymous client."""
    address = request.client.host if request.client else "unknown"
    return client_key(address, request.app.state.settings.secret_key)


def page_session(
    request: Request, uows: Annotated[UnitOfWorkFactory, Depends(get_uow_factory)]
) -> tuple[Principal, str]:
    """The signed-in person of a page, and their session's CSRF token."""
    return accounts.session_principal(
        uow=uows(read_only=True), token=request.cookies.get(SESSION_COOKIE, "")
    )


def optional_page_session(
    request: Request, uows: Annotated[UnitOfWorkFactory, Depends(get_uow_factory)]
) -> tuple[Principal, str] | None:
    try:
        return page_session(request, uows)
    except NotAuthenticated:
        return None


Uows = Annotated[UnitOfWorkFactory, Depends(get_uow_factory)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
ApiWho = Annotated[Principal, Depends(api_principal)]
BearerToken = Annotated[str, Depends(bearer_token)]
OptionalApiWho = Annotated[Principal | None, Depends(optional_api_principal)]
Limiter = Annotated[RateLimiter, Depends(get_rate_limiter)]
BudgetDep = Annotated[Budget, Depends(get_budget)]
AnonymousClient = Annotated[str, Depends(anonymous_client)]
PageSession = Annotated[tuple[Principal, str], Depends(page_session)]
OptionalPageSession = Annotated[tuple[Principal, str] | None, Depends(optional_page_session)]
