"""Backup and restore, as the README's Deployment section tells an operator to do them
(issue 16, item 6): ``pg_dump`` of a populated PostgreSQL database (audit events, signed
checkpoints, files in the database's file store), ``pg_restore`` into an empty database, and
``skillcard audit verify`` run against the restored one passes, with the checkpoints kept
outside the database; a restore tampered with afterwards fails it. PostgreSQL only: the dump
and the restore are PostgreSQL's own tools (SQLite's backup is a copy of its file).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.file_stores import DatabaseFileStore
from skillcard.adapters.jobs.procrastinate_queue import conninfo
from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.services.audit import audit_checkpoints
from tests import conftest as shared
from tests.factories import OPERATOR
from tests.security.test_audit_anchor import _events, _forget_checkpoints, _rewrite

pytestmark = pytest.mark.skipif(
    "postgresql" not in shared.DATABASES, reason="pg_dump and pg_restore need PostgreSQL"
)


def _skillcard(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SKILLCARD_DATABASE_URL": url, "SKILLCARD_ENVIRONMENT": "test"}
    command = [sys.executable, "-m", "skillcard.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def two_databases(_postgres_admin):
    """A populated database and an empty one (no schema at all: the dump brings it)."""
    made = [shared._fresh_postgres(_postgres_admin), shared._fresh_postgres(_postgres_admin)]
    yield made
    for url in made:
        shared._drop_postgres(_postgres_admin, url)


def test_a_dump_restored_into_an_empty_database_verifies_and_a_tampered_one_does_not(
    two_databases, tmp_path
):
    source_url, target_url = two_databases
    source = make_engine(source_url)
    upgrade(source)
    uows = shared.SqlAlchemyUnitOfWork
    secret = shared.Settings(environment="test").secret_key

    def uow_factory(read_only=False):
        return uows(source, read_only=read_only, secret_key=secret)

    shared.build_registry(uow_factory)  # schemes, holders, users: audit events
    audit_checkpoints.make_checkpoint(uow=uow_factory(), who=OPERATOR)
    _events(uow_factory, 5)
    audit_checkpoints.make_checkpoint(uow=uow_factory(), who=OPERATOR)
    portrait = drawn_portrait("Ann Restore")
    digest = PhotoStore(DatabaseFileStore(source)).put(portrait)
    stored = PhotoStore(DatabaseFileStore(source)).get(digest)  # as kept (re-encoded)
    assert stored
    source.dispose()
    kept_elsewhere = tmp_path / "checkpoints.json"  # the copy an operator keeps off the database
    assert _skillcard(source_url, "audit", "checkpoints", "export", "-o", str(kept_elsewhere))
    before = json.loads(_skillcard(source_url, "audit", "verify", "--json").stdout)
    assert before["intact"] and before["events"] > 10

    dump = tmp_path / "skillcard.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", conninfo(source_url)],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={conninfo(target_url)}", dump],
        check=True, capture_output=True,
    )  # fmt: skip

    restored = _skillcard(
        target_url, "audit", "verify", "--checkpoints", str(kept_elsewhere), "--json"
    )
    report = json.loads(restored.stdout)
    assert restored.returncode == 0, restored.stderr
    assert report["intact"] and report["events"] == before["events"]
    # the two checkpoints the restored database holds, and the same two in the copy kept
    assert report["checkpoints"] == 4 and report["first_broken"] is None
    target = make_engine(target_url)
    try:
        # the files came with the dump (the database's file store)
        assert PhotoStore(DatabaseFileStore(target)).get(digest) == stored

        _rewrite(target, 3)  # someone rewrites an event of the restored copy, hashes and all
        _forget_checkpoints(target)
    finally:
        target.dispose()
    tampered = _skillcard(
        target_url, "audit", "verify", "--checkpoints", str(kept_elsewhere), "--json"
    )
    broken = json.loads(tampered.stdout)
    assert tampered.returncode == 1 and not broken["intact"]
    assert "rewritten" in broken["first_broken"]["reason"]  # at the first checkpoint past it
