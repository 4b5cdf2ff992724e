"""What the check API and the check page share: the way a check is made, the rate limit and
the answer's public shape."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable
from typing import Any

from fastapi import Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from skillcard.domain.accounts import Principal
from skillcard.domain.checks import RateLimit
from skillcard.services.audit.audit import utcnow
from skillcard.services.checks import checks, online_checks, rate_limits
from skillcard.services.checks.checks import PublicCheckResult
from skillcard.services.checks.rate_limits import RateLimiter
from skillcard.services.registry import photos


def limit_checks(
    request: Request,
    limiter: RateLimiter,
    *,
    who: Principal | None,
    client: str,
    now: dt.datetime | None = None,
) -> None:
    """Count one check against its allowance: a signed-in user's own, larger one, or the
    anonymous client's. :class:`RateLimited` (429) once it is used up."""
    key, rule = check_allowance(request, who, client)
    rate_limits.enforce(limiter, key=key, rule=rule, now=now or utcnow(), doing="checks")


async def check_a_card(
    request: Request, asked: dict[str, Any]
) -> tuple[PublicCheckResult, BackgroundTask | None]:
    """A public check by number and surname (``asked``: number, surname, scheme_code, who,
    client, site), made the same way from the API and the page. On PostgreSQL, by the
    server's check desk on the event loop: answered at once, its log line stored some 25 ms
    later by the task returned (run it after answering), or kept on this host while the
    primary is down and only the replica answers. On SQLite, in a worker thread, counted and
    logged in the check's own transaction (no task)."""
    state = request.app.state
    if state.check_desk is None:
        from skillcard.web.deps import get_rate_limiter  # deps imports this module

        limiter = await get_rate_limiter(request)
        result = await run_in_threadpool(_check_in_a_thread, request, limiter, asked)
        return result, None
    result, stored = await online_checks.check_card(
        desk=state.check_desk,
        limiter=state.async_limiter,
        allowance=check_allowance(request, asked["who"], asked["client"]),
        now=check_time(),
        **asked,
    )
    return result, BackgroundTask(_stored, stored)


def _check_in_a_thread(request: Request, limiter: RateLimiter, asked: dict[str, Any]):
    limit_checks(request, limiter, who=asked["who"], client=asked["client"])
    return checks.check_card(uow=request.app.state.uows(), **asked)


async def _stored(stored: Awaitable[None]) -> None:
    await stored


def check_time() -> dt.datetime:
    """The time a check is counted and logged at (one place, so tests can hold it still)."""
    return utcnow()


def check_allowance(request: Request, who: Principal | None, client: str) -> tuple[str, RateLimit]:
    """Whose allowance a check uses (a signed-in user's own, larger one, or the anonymous
    client's) and its rule."""
    settings = request.app.state.settings
    limit = settings.check_rate_limit_signed_in if who else settings.check_rate_limit_anonymous
    rule = RateLimit(limit, settings.check_rate_limit_window_seconds)
    return rate_limits.check_limit_key(who, client), rule


async def open_check_desk(app) -> None:
    """Open the API's Smart Check desk and its rate limiter on the serving process's event
    loop: PostgreSQL only (see services/checks/online_checks.py); the rate counters in Redis when
    ``SKILLCARD_REDIS_URL`` is set, as the threaded limiter's are."""
    app.state.check_desk = app.state.async_limiter = app.state.async_pool = None
    app.state.answer_desk = None
    engine, settings = app.state.engine, app.state.settings
    if engine.dialect.name != "postgresql":
        return
    from skillcard.adapters.db.answer_desk import PostgresAnswerDesk
    from skillcard.adapters.db.async_pool import AsyncPool
    from skillcard.adapters.db.check_desk import PostgresCheckDesk
    from skillcard.adapters.db.rate_counters import PostgresRateLimiter
    from skillcard.adapters.db.replica import ReadWritePool

    primary = AsyncPool.for_url(engine.url)
    pool: AsyncPool | ReadWritePool = primary
    if app.state.read_engine is not None:
        replica = AsyncPool.for_url(app.state.read_engine.url)
        pool = ReadWritePool(primary, replica, max_lag=settings.read_max_lag_seconds)
    await pool.open()
    app.state.async_pool = pool
    app.state.check_desk = PostgresCheckDesk(pool)
    app.state.answer_desk = PostgresAnswerDesk(primary)  # the HSE answers' (web/api/hse.py)
    if settings.redis_url:
        from skillcard.adapters.rate_limits import AsyncLimitsRateLimiter

        app.state.async_limiter = AsyncLimitsRateLimiter.from_url(settings.redis_url)
    else:
        app.state.async_limiter = PostgresRateLimiter(primary)
    if app.state.read_engine is not None:
        await _spool_while_the_primary_is_down(app)


async def _spool_while_the_primary_is_down(app) -> None:
    """With a replica: the log lines of checks answered while the primary is down are kept on
    this host and written when it is back; the rate limit lets checks through meanwhile."""
    import asyncio

    from skillcard.adapters.check_spool import (
        CheckSpool,
        FailOpenLimiter,
        SpoolingDesk,
        keep_draining,
    )

    spool = CheckSpool(app.state.settings.check_spool)
    app.state.check_desk = SpoolingDesk(app.state.check_desk, spool)
    app.state.async_limiter = FailOpenLimiter(app.state.async_limiter)
    app.state.spool_stopping = asyncio.Event()
    app.state.spool_draining = asyncio.get_running_loop().create_task(
        keep_draining(spool, app.state.engine, app.state.spool_stopping)
    )


async def close_check_desk(app) -> None:
    if app.state.async_pool is None:
        return
    if getattr(app.state, "spool_draining", None) is not None:
        app.state.spool_stopping.set()
        await app.state.spool_draining
        app.state.spool_draining = None
    if hasattr(app.state.async_limiter, "close"):
        await app.state.async_limiter.close()  # Redis's
    await app.state.async_pool.close()
    app.state.check_desk = app.state.async_limiter = app.state.async_pool = None
    app.state.answer_desk = None


def with_photo_url(request: Request, result: PublicCheckResult) -> PublicCheckResult:
    """The answer with a short-lived signed link to the holder's photo, when there is one:
    whoever checked the card may see the face on it, for a few minutes, and no more."""
    digest = result.view.photo_sha256
    if not digest:
        return result
    token = photos.photo_token(secret=request.app.state.settings.secret_key, sha256=digest)
    return dataclasses.replace(result, photo_url=f"/photos/{digest}?t={token}")


def public_answer(result: PublicCheckResult) -> dict:
    """The answer as the API gives it: the public view, whether it is valid, and when."""
    view = result.view
    return {
        "outcome": view.outcome.value,
        "valid": view.valid,
        "colour": view.colour.value,
        "reasons": list(view.reasons),
        "warnings": list(view.warnings),
        "checked_at": result.checked_at,
        "scheme": view.scheme,
        "card_number": view.card_number,
        "holder_name": view.holder_name,
        "photo_sha256": view.photo_sha256,
        "photo_url": result.photo_url,
        "card_type": view.card_type,
        "occupation": view.occupation,
        "qualifications": list(view.qualifications),
        "expires_on": view.expires_on,
    }
