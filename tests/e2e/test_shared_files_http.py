"""Files every host reaches (issue 16): two servers on one PostgreSQL with
SKILLCARD_FILE_STORE=database, each with its own (empty) files directory. A bulk check uploaded
to one is run by the other's job runner (the first runs none) and its result downloaded from
both, a photo kept by one is read by the other, and neither writes to its own disk. On SQLite
the setting is refused, saying why."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.config import Settings, get_settings
from skillcard.errors import InvalidInput
from skillcard.web import create_app
from tests.e2e import test_business_http as business_http
from tests.e2e.conftest import bearer


def _host(database_url, files_dir, *, runs_jobs=False):
    settings = Settings(
        environment="test", database_url=database_url, files_dir=files_dir,
        file_store="database", jobs_in_process=runs_jobs,
    )  # fmt: skip
    return create_app(settings)  # its own engine and pool, as another host's would be


def test_two_hosts_on_one_database_see_each_others_files(
    engine, database_url, uow_factory, registry, tmp_path
):
    if engine.dialect.name == "sqlite":
        with pytest.raises(InvalidInput, match="needs PostgreSQL"):
            _host(database_url, tmp_path / "one")
        return
    one = _host(database_url, tmp_path / "one")  # takes the upload; runs no job
    two = _host(database_url, tmp_path / "two", runs_jobs=True)
    with TestClient(one) as first, TestClient(two) as second:
        token = business_http._business(first, uow_factory, "a@acme.test", "01234567", "Acme")
        rows = f"number,surname\n{registry.cards['bob']},Smith\n{registry.cards['ann']},Wrong\n"
        answer = first.post(
            "/api/v1/business/bulk", files={"file": ("staff.csv", rows)}, headers=bearer(token)
        )
        assert answer.status_code == 202, answer.text
        job = business_http._wait(second, token, answer.json()["id"])  # asked of the other
        assert job["status"] == "done"
        from_second = second.get(job["result_url"], headers=bearer(token))
        from_first = first.get(job["result_url"], headers=bearer(token))
        assert from_second.status_code == 200 and "Smith" in from_second.text
        assert from_second.text == from_first.text
        assert from_second.text.count("\n") == 3  # the header and both rows

        digest = PhotoStore(one.state.files).put(drawn_portrait("Ann Test"))
        assert PhotoStore(two.state.files).get(digest) == PhotoStore(one.state.files).get(digest)
    assert not (tmp_path / "one").exists() and not (tmp_path / "two").exists()


def test_an_existing_files_directory_is_copied_into_the_shared_store(
    cli, engine, files_dir, monkeypatch
):
    from skillcard.adapters.file_stores import DatabaseFileStore, LocalFileStore

    local = LocalFileStore(files_dir)
    digest = PhotoStore(local).put(drawn_portrait("Ann Test"))
    local.put("results", "job.result.csv", b"row,number\n")
    if engine.dialect.name == "sqlite":  # the shared store is PostgreSQL's: refused, saying so
        monkeypatch.setenv("SKILLCARD_FILE_STORE", "database")
        get_settings.cache_clear()
        code, _, err = cli("files", "copy", str(files_dir))
        assert code == 2 and "needs PostgreSQL" in err
        return
    code, out, _ = cli("files", "copy", str(files_dir))  # still local: the same place
    assert code == 2 and "there already" in out + _
    monkeypatch.setenv("SKILLCARD_FILE_STORE", "database")
    get_settings.cache_clear()
    code, out, _ = cli("files", "copy", str(files_dir), "--json")
    assert code == 0, out
    assert json.loads(out)["copied"] == {
        "photos": 1, "evidence": 0, "snapshots": 0, "uploads": 0, "results": 1, "reports": 0,
    }  # fmt: skip
    shared = DatabaseFileStore(engine)
    assert PhotoStore(shared).get(digest) == PhotoStore(local).get(digest)
    assert shared.get("results", "job.result.csv") == b"row,number\n"
