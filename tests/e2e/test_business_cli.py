"""``skillcard bulk-check`` and ``skillcard alerts run`` (issue 4), and the scheduler that
``serve`` starts."""

from __future__ import annotations

import csv
import datetime as dt
import json

from aiosmtpd.controller import Controller

from skillcard.adapters.file_stores import LocalFileStore
from skillcard.adapters.jobs.table_queue import InProcessRunner
from skillcard.services import jobs
from skillcard.services.business import workforce
from skillcard.services.clock import FixedClock
from skillcard.services.registry import cards
from tests.factories import OPERATOR, approve_business, business_budget
from tests.integration.test_business import register

BUDGET = business_budget()


def test_bulk_check_writes_every_row_and_records_for_a_business(
    cli, registry, uow_factory, tmp_path
):
    business_id, _admin = register(uow_factory)
    approve_business(uow_factory, business_id)  # 1,201 rows: past a new business's allowance
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = [f"{registry.cards['ann']};Nunez-OBrien;;+sum"] + [
        f"{registry.cards['bob']};Smith"
    ] * 1200
    source.write_text("number;surname;scheme;label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, stdout, _ = cli(
        "bulk-check", str(source), "-o", str(out), "--business", "01234567", "--json"
    )
    assert code == 0, stdout
    summary = json.loads(stdout)
    assert (summary["rows"], summary["valid"], summary["errors"]) == (1201, 1201, 0)
    with out.open(encoding="utf-8-sig") as f:
        result = list(csv.DictReader(f))
    assert len(result) == 1201 and result[0]["label"] == "'+sum"
    with uow_factory() as uow:
        assert len(uow.business_checks.recent(business_id, 5000)) == 1201
    code, stdout, _ = cli("bulk-check", str(source), "-o", str(out))  # no business: no record
    assert code == 0 and "1,201 rows" in stdout
    with uow_factory() as uow:
        assert len(uow.business_checks.recent(business_id, 5000)) == 1201


def test_bulk_check_refuses_bad_files_and_unknown_businesses(cli, registry, tmp_path):
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" * 10)
    code, _, err = cli("bulk-check", str(binary), "-o", str(tmp_path / "o.csv"))
    assert code == 2 and "not a CSV text file" in err
    code, _, err = cli("bulk-check", str(binary), "-o", str(tmp_path / "o.csv"), "--business", "9")
    assert code == 2 and "no business" in err


def test_alerts_run_twice_sends_once(cli, registry, uow_factory):
    _, admin = register(uow_factory)
    workforce.add_worker(
        budget=BUDGET, uow=uow_factory(), who=admin, number=registry.cards["bob"], surname="Smith"
    )
    cli("card", "suspend", registry.cards["bob"], "--reason", "safety")
    code, out, _ = cli("alerts", "run", "--json")
    assert code == 0 and json.loads(out)["emails"] == 1
    code, out, _ = cli("alerts", "run", "--json")
    assert json.loads(out)["emails"] == 0
    code, out, _ = cli("business", "list", "--json")
    assert json.loads(out)["businesses"][0]["company_number"] == "01234567"


def test_the_alerts_run_as_a_periodic_job_at_their_hour(uow_factory, engine, registry, tmp_path):
    _, admin = register(uow_factory)
    workforce.add_worker(
        budget=BUDGET, uow=uow_factory(), who=admin, number=registry.cards["bob"], surname="Smith"
    )
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=registry.cards["bob"], reason="x")
    context = jobs.JobContext(
        uow_factory=uow_factory,
        public_url="http://x",
        files=LocalFileStore(tmp_path),
        alerts_hour_utc=6,
        clock=FixedClock(dt.datetime(2030, 1, 1, 6, 0, 1, tzinfo=dt.UTC)),
    )
    runner = InProcessRunner(engine, context)
    start = dt.datetime(2030, 1, 1, 5, 59, 59, tzinfo=dt.UTC)
    assert jobs.ALERTS not in runner.enqueue_due(start)  # yesterday's run is long past
    assert jobs.ALERTS in runner.enqueue_due(start + dt.timedelta(seconds=2))
    while runner.run_one():
        pass
    with uow_factory() as uow:
        digest = uow.outbox.recent(1)[0]
    assert digest.kind == "alerts.digest"
    # the scheduler's clock was handed on: the run's day and moment are its own
    assert ":2030-01-01:" in digest.dedupe_key
    assert digest.created_at.date() == dt.date(2030, 1, 1)


def test_the_outbox_is_sent_over_smtp_by_a_periodic_job_when_configured(
    uow_factory, engine, tmp_path
):
    from skillcard.adapters.mail import SmtpMailer
    from tests.integration.test_outbox import Inbox, _free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        register(uow_factory)  # queues the confirmation e-mail (and confirms it)
        mailer = SmtpMailer("127.0.0.1", controller.port, sender="sc@x.test", starttls=False)
        context = jobs.JobContext(
            uow_factory=uow_factory, public_url="http://x", files=LocalFileStore(tmp_path),
            alerts_hour_utc=None, mailer=mailer,
        )  # fmt: skip
        runner = InProcessRunner(engine, context)
        assert runner.enqueue_due(dt.datetime.now(dt.UTC)) == [jobs.OUTBOX]  # no alerts hour
        assert runner.run_one()
    finally:
        controller.stop()
    assert "Confirm Acme Builders" in inbox.received[0]["Subject"]


def test_a_worker_on_the_embedded_database_says_the_server_runs_the_jobs(cli, database_url):
    if not database_url.startswith("sqlite"):
        return  # on PostgreSQL it runs until stopped: tests/integration/test_job_queue.py
    code, _, err = cli("worker")
    assert code == 2 and "`skillcard serve` runs them itself" in " ".join(err.split())
