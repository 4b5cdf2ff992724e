"""For the machines that run skillcard: liveness, readiness and metrics. Not in the API's
documentation (they are no part of the product's contract with its users).

- ``GET /healthz``: 200 while the process answers; touches nothing else, so a database
  outage never makes an orchestrator restart every server (that would not bring it back).
- ``GET /readyz``: 200 when this process can reach its database, else 503: a load balancer
  (HAProxy's ``option httpchk GET /readyz``) sends no traffic to a server that cannot answer.
  With a read replica and the primary down, 200 ``read-only`` while the replica answers.
- ``GET /metrics``: Prometheus's text format (``adapters/metrics.py``).
"""

from __future__ import annotations

import logging

import anyio
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from skillcard.adapters import metrics

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

READY_WITHIN_SECONDS = 2.0  # a database that takes longer to say "1" is not ready to serve


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the primary answers (the sync engine, and the Smart Check's own connections
    on the event loop). With a read replica, a server whose primary is down still answers
    public checks from the replica: ready, in the words "read-only", so that a load balancer
    keeps sending checks while every change is refused (503 ``unavailable``)."""
    state = request.app.state
    pool = state.async_pool
    primary_pool = getattr(pool, "primary", pool)  # a ReadWritePool's writes go there
    try:
        with anyio.fail_after(READY_WITHIN_SECONDS):
            await run_in_threadpool(_ask, state.engine)
            if primary_pool is not None:
                await primary_pool.read("SELECT 1")
    except Exception as error:  # whatever the cause, the answer is "not ready", and why
        log.warning("not ready: the database cannot be reached: %s", error)
        if await _replica_answers(state):
            return JSONResponse({"status": "read-only", "database": "unreachable", "replica": "ok"})
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ready", "database": "ok"})


async def _replica_answers(state) -> bool:
    if getattr(state, "read_engine", None) is None:
        return False
    try:
        with anyio.fail_after(READY_WITHIN_SECONDS):
            await run_in_threadpool(_ask, state.read_engine)
            replica_pool = getattr(state.async_pool, "replica", None)
            if replica_pool is not None:
                await replica_pool.read("SELECT 1")
    except Exception as error:
        log.warning("not ready: the replica cannot be reached either: %s", error)
        return False
    return True


def _ask(engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


@router.get("/metrics")
async def prometheus_metrics() -> Response:
    text = await run_in_threadpool(metrics.scrape)  # reads the workers' files
    return Response(text, media_type=metrics.CONTENT_TYPE)
