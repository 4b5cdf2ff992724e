"""Reads from a PostgreSQL streaming replica (issue 16, item 4), on a real one: a throwaway
primary and its replica made by ``initdb`` and ``pg_basebackup`` for this session
(tests/replica_support.py). With SKILLCARD_READ_DATABASE_URL set, public checks, the verifier
bundle and searches answer from the replica; when the primary stops they go on, the pages
that need a write say so plainly (503), and the check log lines made meanwhile are written
once the primary is back."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from skillcard.adapters.check_spool import CheckSpool
from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.replica import replica_first
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.config import Settings
from skillcard.services.accounts import accounts
from skillcard.services.registry import cards
from skillcard.web import create_app
from tests.e2e.conftest import bearer, sign_in
from tests.factories import OPERATOR, build_registry
from tests.replica_support import replica_pair as replica_pair  # the session's fixture

pytestmark = pytest.mark.replica


@pytest.fixture(scope="module")
def on_replica(replica_pair):
    """The registry, made on the primary and replayed on the replica; a token for the hub."""
    engine = make_engine(replica_pair.primary.url)
    try:
        registry = build_registry(lambda read_only=False: SqlAlchemyUnitOfWork(engine))
        token = accounts.create_api_token(
            uow=SqlAlchemyUnitOfWork(engine),
            who=OPERATOR,
            email=registry.emails["hub"],
            name="t",
            days=1,
        )
        replica_pair.caught_up()
        yield replica_pair, engine, registry, token
    finally:
        engine.dispose()


def _checks_of(engine, card_number: str) -> int:
    query = sa.text(
        "SELECT count(*) FROM checks JOIN cards ON cards.id = checks.card_id "
        "WHERE cards.number = :number"
    )
    with engine.connect() as connection:
        return connection.execute(query, {"number": card_number}).scalar_one()


def _check(client, registry):
    answer = client.get(
        "/api/v1/check", params={"number": registry.cards["bob"], "surname": "Smith"}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_replica_refuses_writes_and_the_work_goes_to_the_primary(on_replica):
    pair, primary, _, _ = on_replica
    replica = make_engine(pair.replica.url)
    try:
        with pytest.raises(sa.exc.DBAPIError, match="read-only"), replica.begin() as connection:
            connection.exec_driver_sql("DELETE FROM checks")

        def search(uow):
            return cards.search_cards(uow=uow, who=OPERATOR, query="Smith")

        assert replica_first(primary, replica, search)  # read on the replica
        seen = []

        def writes(uow):  # what a bundle does when keys are missing: a write
            seen.append(uow._bind.url.port)
            with uow:
                uow.session.execute(sa.text("CREATE TEMP TABLE t (x int)"))
                uow.session.execute(
                    sa.text("INSERT INTO checks (checked_at) SELECT NULL WHERE false")
                )
                uow.commit()

        replica_first(primary, replica, writes)
        assert seen == [pair.replica.port, pair.primary.port]
    finally:
        replica.dispose()


def test_public_checks_go_on_from_the_replica_while_the_primary_is_down(on_replica, tmp_path):
    pair, primary, registry, token = on_replica
    spool_file = tmp_path / "check-spool.db"
    settings = Settings(
        environment="test",
        database_url=pair.primary.url,
        read_database_url=pair.replica.url,
        check_spool=spool_file,
        files_dir=tmp_path / "files",
    )
    before = _checks_of(primary, registry.cards["bob"])
    with TestClient(create_app(settings)) as client:
        assert _check(client, registry)["outcome"] == "valid"
        assert client.get("/api/v1/bundle").status_code == 200  # keys made on the primary
        pair.caught_up()
        search = client.get("/api/v1/cards", params={"q": "Smith"}, headers=bearer(token))
        assert search.status_code == 200 and search.json()
        assert client.get("/readyz").json() == {"status": "ready", "database": "ok"}
        assert "skillcard_replica_lag_seconds" in client.get("/metrics").text

        pair.primary.stop()
        try:
            ready = client.get("/readyz")  # still sent checks: the replica answers them
            assert ready.status_code == 200
            assert ready.json() == {
                "status": "read-only",
                "database": "unreachable",
                "replica": "ok",
            }
            answers = [_check(client, registry) for _ in range(3)]
            assert {a["outcome"] for a in answers} == {"valid"}
            bundle = client.get("/api/v1/bundle")
            assert bundle.status_code == 200 and bundle.json()["status_lists"]
            wrong = client.get(
                "/api/v1/check", params={"number": registry.cards["bob"], "surname": "Jones"}
            )
            assert wrong.json()["outcome"] == "no_match"
            page = client.post(
                "/check", data={"number": registry.cards["bob"], "surname": "Smith"}
            )  # the check page, anonymous: the same desk as the API's
            assert page.status_code == 200, page.text[-2000:]
            assert 'data-outcome="valid"' in page.text
            assert CheckSpool(spool_file).pending() == 5  # kept here meanwhile

            write = client.post(
                "/api/v1/tokens", json={"email": registry.emails["hub"], "password": "x" * 12}
            )
            assert write.status_code == 503
            assert write.json()["error"]["code"] == "unavailable"
            assert "cannot save changes right now" in write.json()["error"]["message"]
            assert client.get("/login").status_code == 200  # a page that reads nothing shows
            form = sign_in(client, registry.emails["hub"])  # signing in writes a session
            assert form.status_code == 503 and "cannot save changes right now" in form.text
        finally:
            pair.primary.start()
        deadline = time.monotonic() + 30
        while CheckSpool(spool_file).pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert CheckSpool(spool_file).pending() == 0
    primary.dispose()  # its pooled connections died with the primary
    assert _checks_of(primary, registry.cards["bob"]) == before + 1 + 5  # none lost, none twice


def _replay(pair, what: str) -> None:
    """Pause or resume the replica's replay of the primary's changes (``pause``/``resume``)."""
    replica = sa.create_engine(pair.replica.url, isolation_level="AUTOCOMMIT")
    try:
        with replica.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_wal_replay_{what}()")
    finally:
        replica.dispose()


def test_a_replica_behind_is_not_read_so_a_card_just_revoked_says_so(on_replica, tmp_path):
    """Issue 16: a replica that falls behind is not used for reads that must see a change
    just made. Its replay is paused, a card revoked on the primary: the check and the search
    that read the replica read the primary instead, until it has caught up. (Last in this
    module: bob's card stays revoked.)"""
    pair, primary, registry, token = on_replica
    settings = Settings(
        environment="test",
        database_url=pair.primary.url,
        read_database_url=pair.replica.url,
        read_max_lag_seconds=1,
        check_spool=tmp_path / "check-spool.db",
        files_dir=tmp_path / "files",
    )
    _replay(pair, "pause")
    try:
        cards.revoke_card(
            uow=SqlAlchemyUnitOfWork(primary), who=OPERATOR, number=registry.cards["bob"],
            reason="revoked while the replica is behind",
        )  # fmt: skip
        time.sleep(1.5)  # the replica's last replayed change is now older than the 1 s allowed
        replica = make_engine(pair.replica.url)
        try:
            with replica.connect() as connection:  # the replica itself still says active
                status = connection.exec_driver_sql(
                    "SELECT status FROM cards WHERE number = %(n)s", {"n": registry.cards["bob"]}
                ).scalar_one()
            assert status == "active"
        finally:
            replica.dispose()
        with TestClient(create_app(settings)) as client:
            assert _check(client, registry)["outcome"] == "revoked"
            found = client.get(
                "/api/v1/cards", params={"q": registry.cards["bob"]}, headers=bearer(token)
            )
            assert found.status_code == 200
            assert [c["status"] for c in found.json()] == ["revoked"]
            assert "skillcard_replica_lag_seconds" in client.get("/metrics").text

            # The primary gone too: the replica is all there is, behind or not. (A primary
            # stopped at once leaves WAL its replica received and can never replay: behind
            # for ever. Every check waited on the dead primary: bench/deployment.py.)
            pair.primary.stop()
            try:
                assert _check(client, registry)["outcome"] == "valid"  # the replica's past
            finally:
                pair.primary.start()
    finally:
        _replay(pair, "resume")
    pair.caught_up()
