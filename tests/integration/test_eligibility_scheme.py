"""Re-evaluating a whole scheme after a rule change reads facts in bulk and agrees with the
one-holder decision (issue 6); SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.adapters.file_stores import LocalFileStore
from skillcard.errors import PermissionDenied
from skillcard.services.registry import eligibility
from skillcard.services.registry.eligibility_bulk import reevaluate_scheme
from tests.mycard_support import qualify_ann


def test_whole_scheme_matches_the_single_decisions(mycard, uow_factory):
    codes = ("NVQ3_ELECTROTECHNICAL", "AM2S", "BS7671_2018")
    qualify_ann(uow_factory, mycard, codes, dt.date(2018, 1, 1))
    result = reevaluate_scheme(
        uow=uow_factory(read_only=True),
        who=mycard.principals["ecs_admin"],
        scheme_code="ECS",
        code="INSTALLATION_ELECTRICIAN",
    )
    assert (result.holders, result.eligible) == (2, 1)  # Ann and Bob hold ECS cards; Cy CPCS
    assert result.unmet["needs an HSE test pass (taken within the last 2 years)"] == 1
    for key, expected in (("ann", True), ("bob", False)):
        single = eligibility.check_eligibility(
            uow=uow_factory(),
            who=mycard.principals["ecs_admin"],
            cardholder_id=mycard.holders[key],
            scheme_code="ECS",
            code="INSTALLATION_ELECTRICIAN",
        )
        assert single.eligible is expected
    with pytest.raises(PermissionDenied):
        reevaluate_scheme(
            uow=uow_factory(),
            who=mycard.principals["cpcs_admin"],
            scheme_code="ECS",
            code="INSTALLATION_ELECTRICIAN",
        )


def test_a_queued_reevaluation_runs_as_a_job_and_audits_its_counts(mycard, uow_factory, tmp_path):
    from skillcard.errors import NotFound
    from skillcard.services import jobs
    from skillcard.services.registry.eligibility_bulk import queue_reevaluation

    admin = mycard.principals["ecs_admin"]
    qualify_ann(uow_factory, mycard, ("NVQ3_ELECTROTECHNICAL",), dt.date(2018, 1, 1))
    with pytest.raises(PermissionDenied):  # refused when asked, not later in a worker
        queue_reevaluation(
            uow=uow_factory(), who=mycard.principals["cpcs_admin"], scheme_code="ECS",
            code="INSTALLATION_ELECTRICIAN",
        )  # fmt: skip
    with pytest.raises(NotFound):
        queue_reevaluation(uow=uow_factory(), who=admin, scheme_code="ECS", code="NO_SUCH")
    queue_reevaluation(
        uow=uow_factory(), who=admin, scheme_code="ECS", code="INSTALLATION_ELECTRICIAN"
    )
    [(name, args)] = queued_jobs(uow_factory)
    context = jobs.JobContext(
        uow_factory=uow_factory, public_url="http://x", files=LocalFileStore(tmp_path)
    )
    jobs.run_job(context, name, args)  # as a worker runs it
    with uow_factory() as uow:
        events = [e for e in uow.audit.in_order() if e.action.startswith("eligibility.")]
    assert [e.action for e in events] == ["eligibility.reevaluate", "eligibility.reevaluated"]
    assert events[1].actor == admin.label and events[1].detail["holders"] == 2


def queued_jobs(uow_factory) -> list[tuple[str, dict]]:
    """The jobs waiting on whichever queue the database has."""
    import json

    import sqlalchemy as sa

    from skillcard.adapters.db.tables_jobs import queued_jobs as table

    with uow_factory() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            query = "SELECT task_name, args FROM procrastinate_jobs ORDER BY id"
            return [tuple(row) for row in uow.session.execute(sa.text(query))]
        rows = uow.session.execute(sa.select(table.c.name, table.c.args).order_by(table.c.id))
        return [(name, json.loads(args)) for name, args in rows]
