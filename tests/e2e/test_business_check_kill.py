"""A business's check is stored before its answer is sent (docs/contracts.md, "The check
log"): a real ``skillcard serve`` killed with SIGKILL in the middle of a load of business
checks has kept, in the card's check log and in the business's history, every check whose
answer a client received, with the outcome it was told.

Business checks write no audit event (checks change nothing; the check log is their record),
so the audit trail is not asked."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables, tables_business
from skillcard.services.accounts import accounts
from skillcard.services.business import business
from tests.factories import OPERATOR, PASSWORD, approve_business

SKILLCARD = [sys.executable, "-m", "skillcard.cli"]
CLIENTS = 8
KILL_AFTER = 150  # answers received before the kill: the load is well under way by then
EMAIL = "boss@acme.test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _business_token(uow_factory) -> str:
    """A confirmed, approved business (so its budget is the full one) and its admin's token."""
    business.register_business(
        uow=uow_factory(),
        name="Acme Builders",
        company_number="01234567",
        address="1 High Street\nLeeds",
        admin_name="Bo Boss",
        email=EMAIL,
        password=PASSWORD,
        public_url="https://skillcard.example",
    )
    with uow_factory() as uow:
        mail = uow.outbox.recent(5, to_address=EMAIL)[0].body
        business_id = uow.users.by_email(EMAIL).business_id
    link = mail.split("/business/confirm/")[1].split()[0]
    business.confirm_registration(uow=uow_factory(), token=link)
    approve_business(uow_factory, business_id)
    return accounts.create_api_token(uow=uow_factory(), who=OPERATOR, email=EMAIL, name="k", days=1)


@pytest.fixture
def server(database_url, tmp_path):
    """``skillcard serve --workers 2`` in a process group of its own, so one signal reaches
    the parent and both workers at once."""
    env = {
        **os.environ,
        "SKILLCARD_DATABASE_URL": database_url,
        "SKILLCARD_ENVIRONMENT": "test",
        "SKILLCARD_FILES_DIR": str(tmp_path / "files"),
        "SKILLCARD_CHECK_RATE_LIMIT_SIGNED_IN": "1000000",  # the load, not the limit, is tested
    }
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [*SKILLCARD, "serve", "--port", str(port), "--workers", "2", "--no-access-log"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/schemes", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"server did not start: {(tmp_path / 'serve.log').read_text()[-2000:]}")
    yield base, process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)
    log.close()


def test_every_business_check_answered_before_a_kill_is_stored(
    server, registry, uow_factory, engine
):
    base, process = server
    token = _business_token(uow_factory)
    # A match and a wrong surname, so the stored outcome is shown to be the one answered.
    asks = [(registry.cards["ann"], "Núñez-O'Brien"), (registry.cards["bob"], "Jones")]
    answered: dict[str, str] = {}  # site -> the outcome the client was told
    refused: list[str] = []  # any answer but 200 while the server was up
    lost: list[str] = []  # requests the kill cut off
    lock = threading.Lock()
    killed = threading.Event()

    def client(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            for i in range(100_000):
                number, surname = asks[i % 2]
                site = f"kill-{n}-{i}"  # names the check in both logs
                body = {"number": number, "surname": surname, "site": site}
                try:
                    answer = http.post("/api/v1/business/checks", json=body)
                except httpx.HTTPError:
                    with lock:
                        lost.append(site)
                    if killed.is_set():
                        return
                    continue
                with lock:
                    if answer.status_code == 200:
                        answered[site] = answer.json()["outcome"]
                    else:
                        refused.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(answered) < KILL_AFTER and time.monotonic() < deadline and not refused:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)  # every server process, with checks in flight
    killed.set()
    for thread in threads:
        thread.join(timeout=30)
    process.wait(timeout=20)

    assert not refused, refused[:3]
    assert len(answered) >= KILL_AFTER and lost, "the kill should land in the middle of the load"
    with engine.connect() as connection:  # what the database kept
        logged = dict(
            connection.execute(
                sa.select(tables.checks.c.site, tables.checks.c.outcome).where(
                    tables.checks.c.site.like("kill-%")
                )
            ).all()
        )
        history = dict(
            connection.execute(
                sa.select(
                    tables_business.business_checks.c.site,
                    tables_business.business_checks.c.outcome,
                ).where(tables_business.business_checks.c.site.like("kill-%"))
            ).all()
        )
    check_log = {site: str(getattr(outcome, "value", outcome)) for site, outcome in logged.items()}
    missing = sorted(set(answered) - set(check_log))
    assert not missing, f"{len(missing)} answered checks not in the check log: {missing[:5]}"
    missing = sorted(set(answered) - set(history))
    assert not missing, f"{len(missing)} answered checks not in the history: {missing[:5]}"
    assert {s: check_log[s] for s in answered} == answered
    assert {s: history[s] for s in answered} == answered
    assert set(answered.values()) == {"valid", "no_match"}
