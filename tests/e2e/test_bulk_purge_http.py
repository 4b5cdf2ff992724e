"""Bulk check results past SKILLCARD_BULK_RESULT_DAYS: the page and the API say the result was
deleted and to run the check again (410), not a bare 404; and the purge and the photo sweep
from the command line."""

from __future__ import annotations

import datetime as dt
import json
import os

from skillcard.adapters.file_stores import LocalFileStore
from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.domain.retention import Retention
from skillcard.services.audit.audit import utcnow
from skillcard.services.business import bulk_results
from tests.e2e import test_business_http as business_http
from tests.e2e.conftest import bearer, sign_in
from tests.factories import OPERATOR

two = business_http.two  # two registered businesses, Acme and Bravo, with bearer tokens
LATER = dt.timedelta(days=31)


def _upload(client, token, registry) -> dict:
    answer = client.post(
        "/api/v1/business/bulk",
        files={"file": ("staff.csv", f"number,surname\n{registry.cards['bob']},Smith\n")},
        headers=bearer(token),
    )
    assert answer.status_code == 202, answer.text
    return business_http._wait(client, token, answer.json()["id"])


def test_a_purged_result_is_gone_with_words_through_api_and_page(
    client, registry, uow_factory, files_dir, two
):
    acme = two[0]
    job = _upload(client, acme, registry)
    assert client.get(job["result_url"], headers=bearer(acme)).status_code == 200
    done = bulk_results.purge_results(
        uow_factory=uow_factory,
        who=OPERATOR,
        files=LocalFileStore(files_dir),
        retention=Retention(result_days=30),
        now=utcnow() + LATER,
    )
    assert done.expired == [job["id"]]

    status = client.get(f"/api/v1/business/bulk/{job['id']}", headers=bearer(acme)).json()
    assert status["status"] == "expired" and status["result_url"] is None
    assert status["message"] == "the result was deleted after 30 days: run the check again"
    gone = client.get(job["result_url"], headers=bearer(acme))
    assert gone.status_code == 410
    assert gone.json()["error"] == {"code": "gone", "message": status["message"]}
    assert client.get(job["result_url"], headers=bearer(two[1])).status_code == 404

    assert sign_in(client, "a@acme.test", next_url="/business").status_code == 303
    page = client.get(f"/business/bulk/{job['id']}")
    assert page.status_code == 200 and "Result deleted" in page.text
    assert "deleted after 30 days: run the check again" in page.text
    assert 'id="download"' not in page.text
    download = client.get(f"/business/bulk/{job['id']}/result.csv")
    assert download.status_code == 410 and "run the check again" in download.text


def test_the_result_downloads_through_both_doors_and_each_download_is_kept(
    client, registry, uow_factory, two
):
    acme = two[0]
    job = _upload(client, acme, registry)
    api = client.get(job["result_url"], headers=bearer(acme))
    assert api.status_code == 200 and "Smith" in api.text
    assert f"bulk-check-{job['id']}.csv" in api.headers["content-disposition"]
    assert sign_in(client, "a@acme.test", next_url="/business").status_code == 303
    page = client.get(f"/business/bulk/{job['id']}/result.csv")
    assert page.status_code == 200 and page.text == api.text
    with uow_factory(read_only=True) as uow:
        actions = [e.action for e in uow.audit.for_entity("bulk_job", job["id"])]
    assert actions.count("bulk.download") == 2


def test_the_purge_and_the_sweep_from_the_command_line(
    cli, client, registry, uow_factory, files_dir, two
):
    job = _upload(client, two[0], registry)
    code, out, _ = cli("bulk-check", "purge", "--json")
    assert code == 0 and json.loads(out)["expired"] == []  # finished just now: kept
    code, out, _ = cli("bulk-check", "purge", "--days", "1", "--dry-run")
    assert code == 0 and "Would delete the results of 0" in out

    store = PhotoStore(files_dir)
    orphan = store.put(drawn_portrait("Nobody"))
    hour_ago = (utcnow() - dt.timedelta(hours=2)).timestamp()
    os.utime(store.path(orphan), (hour_ago, hour_ago))
    code, out, _ = cli("photos", "sweep", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["orphans"] == [orphan]
    assert store.get(orphan) is not None
    code, out, _ = cli("photos", "sweep")
    assert code == 0 and "Deleted 1 of 1 photo file(s)" in out
    assert store.get(orphan) is None
    assert client.get(job["result_url"], headers=bearer(two[0])).status_code == 200
