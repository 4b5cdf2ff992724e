"""The job queue's figures at /metrics (issue 16, item 6): its depth and the jobs failed for
good, by task, read from the queue every host shares, on both databases."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from skillcard.config import Settings
from skillcard.services import jobs
from skillcard.web import create_app


def _figures(client) -> dict[str, float]:
    text = client.get("/metrics").text
    found = re.findall(r"^(skillcard_jobs_\w+\{[^}]*\}) (\S+)$", text, re.MULTILINE)
    return {name: float(value) for name, value in found}


def _run_queued_jobs(engine, database_url, uow_factory) -> None:
    """Run what is queued with the real runner of this database, until the queue is empty."""
    context = jobs.JobContext(
        uow_factory=uow_factory, public_url="http://test", files=None, alerts_hour_utc=None
    )
    if engine.dialect.name == "postgresql":
        from skillcard.adapters.jobs import procrastinate_queue as pq

        app = pq.build_app(context, database_url)
        app.run_worker(queues=[pq.QUEUE], wait=False, install_signal_handlers=False)
    else:
        from skillcard.adapters.jobs.table_queue import InProcessRunner

        runner = InProcessRunner(engine, context)
        while runner.run_one():
            pass


def test_metrics_show_the_queue_depth_and_the_jobs_failed_for_good(
    engine, database_url, uow_factory
):
    # no `with`: the app's own job runner (lifespan) stays off, so the queue stays as made
    app = create_app(Settings(environment="test", database_url=database_url), engine=engine)
    client = TestClient(app)
    empty = _figures(client)
    assert empty['skillcard_jobs_queued{state="todo"}'] == 0
    assert not any(name.startswith("skillcard_jobs_failed_total") for name in empty)

    with uow_factory() as uow:  # a job whose arguments cannot be run: it fails for good
        uow.jobs.enqueue(jobs.ELIGIBILITY, {"scheme_code": "NOPE"})
        uow.jobs.enqueue(jobs.ELIGIBILITY, {"scheme_code": "NOPE"})
        uow.commit()
    with uow_factory() as uow:  # rolled back: never in the queue, never counted
        uow.jobs.enqueue(jobs.ELIGIBILITY, {"scheme_code": "NOPE"})
    queued = _figures(client)
    assert queued['skillcard_jobs_queued{state="todo"}'] == 2

    _run_queued_jobs(engine, database_url, uow_factory)
    after = _figures(client)
    assert after['skillcard_jobs_queued{state="todo"}'] == 0
    assert after['skillcard_jobs_queued{state="doing"}'] == 0
    assert after['skillcard_jobs_failed_total{task="eligibility.reevaluate"}'] == 2
