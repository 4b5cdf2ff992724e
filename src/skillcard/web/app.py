"""The application factory: nothing is built at import time."""

from __future__ import annotations

import gc
import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from skillcard import __version__
from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.file_stores import file_store_for
from skillcard.adapters.image_helper import start_the_helper, stop_the_helper
from skillcard.config import Settings, get_settings
from skillcard.web import api, api_docs, business_uploads, checking, errors, ops, pages
from skillcard.web.deps import UnitOfWorkFactory
from skillcard.web.hostile_input import RefuseNul
from skillcard.web.lanes import AppWithLanes
from skillcard.web.observability import RequestContext
from skillcard.web.security_headers import SecurityHeaders

STATIC = Path(__file__).with_name("static")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """A skillcard web app on ``engine`` (or one made from the settings' database URL)."""
    settings = settings or get_settings()
    settings.check_safe_to_serve()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await checking.open_check_desk(app)
        runner = await run_in_threadpool(business_uploads.start_job_runner, app)
        yield
        if runner is not None:
            await run_in_threadpool(runner.stop)
        await checking.close_check_desk(app)
        stop_the_helper()
        if owns_engine:
            app.state.engine.dispose()
        if app.state.read_engine is not None:
            app.state.read_engine.dispose()

    owns_engine = engine is None
    app = AppWithLanes(
        title="skillcard",
        version=__version__,
        summary="Registry, digital cards and checks for construction skills card schemes.",
        lifespan=lifespan,
        docs_url=None,  # served by api_docs, with no CDN and no inline script
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lanes={
            ("GET", f"{api.PREFIX}/check"): api.checks.check,
            ("PUT", f"{api.PREFIX}/hse/attempts/{{attempt_id}}/answer"): api.hse.answer,
        },
        front=[RequestContext, SecurityHeaders],  # outermost first
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.files = file_store_for(settings, app.state.engine)
    app.state.read_engine = (
        make_engine(settings.read_database_url) if settings.read_database_url else None
    )
    app.state.uows = UnitOfWorkFactory(
        app.state.engine,
        settings.secret_key,
        app.state.read_engine,
        max_lag=settings.read_max_lag_seconds,
    )
    if app.state.read_engine is not None:
        _report_the_replica_lag(app.state.read_engine)
    _report_the_job_queue(app.state.engine)
    app.state.passwords = settings.passwords()
    app.state.check_desk = app.state.async_limiter = app.state.async_pool = None  # lifespan's
    app.state.answer_desk = None  # lifespan's too
    errors.install(app)
    app.add_middleware(RefuseNul)
    if settings.environment == "test":
        _name_the_process(app)
    # One level of routers, not two (see skillcard.web.api.ROUTERS): the API, then the pages.
    for router in api.ROUTERS:
        app.include_router(router, prefix=api.PREFIX)
    for router in pages.ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.include_router(ops.router)
    api_docs.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def create_served_app() -> FastAPI:
    """The app as ``skillcard serve`` runs it, in each worker process.

    What is alive once the app is built (modules, routes, mappers: most of the process's
    objects) is moved out of the cycle collector's sight with ``gc.freeze``. Otherwise every
    full collection walks all of it again: 90 to 190 ms pauses under load, seen as the slowest
    1% of HSE answer saves. Only here, not in ``create_app``: tests build many apps in one
    process, and frozen objects are never collected as cycles."""
    settings = get_settings()
    problems = settings.unsafe_for_production()
    if problems:  # `skillcard serve` said so already; this guards other process managers
        raise RuntimeError("unsafe settings for production: " + "; ".join(problems))
    app = create_app(settings)
    start_the_helper()
    gc.collect()
    gc.freeze()
    return app


def _name_the_process(app: FastAPI) -> None:
    """Tests of several workers need to see which process answered; only in tests."""
    pid = str(os.getpid())

    @app.middleware("http")
    async def served_by(request, call_next):
        response = await call_next(request)
        response.headers["x-served-by"] = pid
        return response


def _report_the_job_queue(engine: Engine) -> None:
    """The job queue's depth and its jobs failed for good, by task, at every scrape: read
    from the queue (adapters/jobs/queue_metrics.py), which every host shares."""
    from skillcard.adapters import metrics
    from skillcard.adapters.jobs.queue_metrics import queue_metrics

    metrics.on_scrape_families("job_queue", lambda: queue_metrics(engine))


def _report_the_replica_lag(read_engine: Engine) -> None:
    """``skillcard_replica_lag_seconds`` at every scrape: how far behind the reads that may
    be a moment behind are (an alert's business, not the server's)."""
    from skillcard.adapters import metrics
    from skillcard.adapters.db.replica import replica_lag_seconds

    metrics.on_scrape(
        "skillcard_replica_lag_seconds",
        "seconds the read replica is behind the primary",
        lambda: replica_lag_seconds(read_engine),
    )
