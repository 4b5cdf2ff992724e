"""`skillcard serve --workers 2` (gunicorn, uvicorn's worker): separate processes share sign-ins
through the database, a dead worker is replaced, and a stopped server finishes its requests."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.e2e.conftest import page_csrf

SKILLCARD = [sys.executable, "-m", "skillcard.cli"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(server):
    return server[0]


@pytest.fixture
def server(database_url, tmp_path):
    """(base URL, the `skillcard serve --workers 2` process)."""
    env = {**os.environ, "SKILLCARD_DATABASE_URL": database_url, "SKILLCARD_ENVIRONMENT": "test"}
    subprocess.run([*SKILLCARD, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            *SKILLCARD,
            "user",
            "add",
            "hub@example.test",
            "--role",
            "hub_admin",
            "--password",
            "a long password",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*SKILLCARD, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=output,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/schemes", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"server did not start: {log.read_text()[-2000:]}")
    yield base, server
    if server.poll() is None:
        server.terminate()
        server.wait(timeout=40)


def test_a_sign_in_holds_whichever_process_answers(served):
    with httpx.Client(base_url=served, follow_redirects=True, timeout=10) as client:
        login = client.get("/login")
        client.post(
            "/login",
            data={
                "email": "hub@example.test",
                "password": "a long password",
                "csrf_token": page_csrf(login.text),
                "next": "/admin/cards",
            },
        )
        pids = set()
        for _ in range(300):  # the kernel, not skillcard, picks the process: ask until both
            page = client.get("/admin/cards", headers={"Connection": "close"})
            assert page.status_code == 200 and "Find a card" in page.text
            pids.add(page.headers.get("x-served-by"))
            if len(pids - {None}) == 2:
                break
        assert len(pids - {None}) == 2, "both worker processes should have answered"


def _pids_answering(base: str, tries: int = 300) -> set[str]:
    pids = set()
    for _ in range(tries):  # a new connection each time: the kernel spreads them
        answer = httpx.get(f"{base}/api/v1/schemes", headers={"Connection": "close"}, timeout=5)
        pids.add(answer.headers["x-served-by"])
        if len(pids) == 2:
            break
    return pids


def test_a_worker_that_dies_is_replaced(served):
    first = _pids_answering(served)
    assert len(first) == 2
    gone = sorted(first)[0]
    os.kill(int(gone), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            now = _pids_answering(served, tries=50)
        except httpx.HTTPError:  # the dead worker's socket, until the kernel drops it
            now = set()
        if len(now) == 2 and gone not in now:
            return
        time.sleep(0.3)
    pytest.fail("the killed worker was not replaced")


def test_a_port_already_in_use_is_refused_in_words(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "SKILLCARD_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
               "SKILLCARD_ENVIRONMENT": "test"}  # fmt: skip
        done = subprocess.run(
            [*SKILLCARD, "serve", "--port", str(port), "--workers", "2"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stdout + done.stderr


def test_a_stopped_server_finishes_the_request_it_is_reading_then_exits(server):
    """SIGTERM while a request is on its way (its body half sent): the worker stops taking
    connections, yet answers that request in full before it exits; then the server exits 0."""
    base, process = server
    port = int(base.rsplit(":", 1)[1])
    body = json.dumps({"email": "hub@example.test", "password": "a long password"}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(
            b"POST /api/v1/tokens HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.5)  # the worker has the request's head and waits for the rest
        process.send_signal(signal.SIGTERM)
        time.sleep(1.0)  # the server is stopping meanwhile
        assert process.poll() is None, "the server should wait for the request in flight"
        connection.sendall(body[10:])
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201"), head
    assert json.loads(content)["token"].startswith("sc_")
    assert process.wait(timeout=40) == 0
    with pytest.raises(httpx.ConnectError):  # and nothing listens any more
        httpx.get(f"{base}/healthz", timeout=2)


def test_metrics_add_up_every_worker_whichever_answers_the_scrape(served):
    pids = set()
    for _ in range(40):  # a new connection each time: both workers answer some
        answer = httpx.get(f"{served}/healthz", headers={"Connection": "close"}, timeout=30)
        pids.add(answer.headers["x-served-by"])
    assert len(pids) == 2
    pattern = re.compile(
        r'skillcard_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)'
    )
    for _ in range(6):  # each scrape may reach either worker: every one sees all 40
        text = httpx.get(f"{served}/metrics", headers={"Connection": "close"}, timeout=30).text
        assert float(pattern.search(text).group(1)) == 40
