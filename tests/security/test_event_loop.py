"""Nothing blocks the event loop (issue 15): a blocking call reached from an ``async def``
handler (a database statement, face detection, CSV inspection, a rate counter, a PDF) holds
up every other request the process is serving. Such work runs in the thread pool: the route
is a plain ``def`` (FastAPI runs it there), or the async route awaits ``run_in_threadpool``.

Two guards: the slow endpoints driven over HTTP, failing if any SQL statement ran on the
event loop's own thread; and a reading of web/ for service calls and known-blocking helpers
called, not awaited through a thread, from an ``async def``."""

from __future__ import annotations

import ast
import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.photos import drawn_portrait
from skillcard.adapters.qr import qr_png
from skillcard.services.credentials import credentials
from skillcard.services.hse import hse_bank
from tests.e2e import conftest as e2e
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.e2e.test_business_http import _business
from tests.factories import OPERATOR, PASSWORD

# the HTTP fixtures' (no conftest of our own here)
files_dir, app, client, tokens = e2e.files_dir, e2e.app, e2e.client, e2e.tokens

WEB = Path(__file__).parents[2] / "src" / "skillcard" / "web"

# Helpers in web/ and services that block (files, OpenCV, the rate counters, the database);
# an async function calls them only through run_in_threadpool / to_thread.run_sync.
BLOCKING = {
    "count_faces",
    "count_faces_at_low_priority",
    "start_upload",
    "read_files",
    "limit_checks",
    "limit_registrations",
    "limit_password_resets",
    "limit_password_changes",
    "enforce",
    "set_photo",
    "build_report",
    "report_download",
    "_page",
    "_qr_page",
    "_json",
    "api_principal",
    "page_session",
}
# A call inside these runs in a worker thread (or, for partial, is only bound: throttle_sign_in
# runs the password check it is given in a thread of its own).
THREAD_HOPS = {"run_in_threadpool", "run_sync", "partial", "in_snapshot_thread"}


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def blocking_calls_on_the_loop(source: str, filename: str) -> list[str]:
    """Calls in an ``async def`` that block: a service call (it takes ``uow=``), a sync file
    read of an upload, or a known-blocking helper; unless handed to a thread."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.AsyncFunctionDef):
            continue
        handed = {
            id(node)
            for call in ast.walk(function)
            if isinstance(call, ast.Call) and _name(call) in THREAD_HOPS
            for node in ast.walk(call)
        }
        for call in ast.walk(function):
            if not isinstance(call, ast.Call) or id(call) in handed:
                continue
            service = any(k.arg in ("uow", "uow_factory") for k in call.keywords)
            file_read = _name(call) == "read" and "file.read" in ast.unparse(call.func)
            if service or file_read or _name(call) in BLOCKING:
                found.append(f"{filename}:{call.lineno} {function.name}: {ast.unparse(call)[:60]}")
    return found


def test_no_async_function_of_web_calls_a_blocking_one_outside_a_thread():
    found = []
    for path in sorted(WEB.rglob("*.py")):
        found += blocking_calls_on_the_loop(path.read_text(), str(path.relative_to(WEB)))
    assert found == [], "blocking calls on the event loop:\n" + "\n".join(found)


def test_the_reading_finds_what_blocks_and_passes_what_is_handed_to_a_thread():
    blocking = """
async def snapshot(uows, data):
    faces = invigilation.add_snapshot(uow=uows(), count_faces=count_faces, data=data)
    limit_checks(request, limiter, who=None, client="c")
    return await run_in_threadpool(checks.check_qr, uow=uows(), text="x")
"""
    found = blocking_calls_on_the_loop(blocking, "x.py")
    assert [f.split(" ")[0] for f in found] == ["x.py:3", "x.py:4"]
    handed = "async def f(uows):\n    await run_in_threadpool(partial(s.g, uow=uows()))\n"
    assert blocking_calls_on_the_loop(handed, "x.py") == []
    assert blocking_calls_on_the_loop("def f(uows):\n    s.g(uow=uows())\n", "x.py") == []


@pytest.fixture
def statements_on_the_loop():
    """Every SQL statement run on a thread that is running an event loop (a worker thread of
    the pool runs none), for the length of the test."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: as it should be
        seen.append(f"{threading.current_thread().name}: {statement.split(chr(10))[0][:80]}")

    event.listen(Engine, "before_cursor_execute", note)
    yield seen
    event.remove(Engine, "before_cursor_execute", note)


def test_the_slow_endpoints_run_no_sql_on_the_event_loop(
    client, registry, tokens, uow_factory, statements_on_the_loop
):
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    ann = bearer(tokens["ann"])
    # a sign-in for a token (the password hash and the throttle's counters)
    made = client.post(
        "/api/v1/tokens", json={"email": registry.emails["ann"], "password": PASSWORD}
    )
    assert made.status_code == 201, made.text
    # an HSE attempt: ID photos and a snapshot (face detection), an answer
    attempt = client.post("/api/v1/hse/attempts", headers=ann).json()["id"]
    url = f"/api/v1/hse/attempts/{attempt}"
    photos = {
        "face": ("f.png", drawn_portrait("Ann"), "image/png"),
        "id_document": ("d.png", drawn_portrait("Ann ID"), "image/png"),
    }
    assert client.post(f"{url}/id-check", headers=ann, files=photos).status_code == 204
    assert client.post(f"{url}/start", headers=ann).status_code == 204
    first = client.get(url, headers=ann).json()["questions"][0]["item_id"]
    saved = client.put(f"{url}/answer", headers=ann, json={"item_id": first, "choice": 1, "seq": 1})
    assert saved.status_code == 200
    frame = {"snapshot": ("s.png", drawn_portrait("Ann"), "image/png")}
    assert client.post(f"{url}/snapshots", headers=ann, files=frame).status_code == 200
    # a QR check by picture, on the page (the rate counters and the page's scheme list)
    text = credentials.printed_credential(uow=uow_factory(), number=registry.cards["ann"])
    picture = {"image": ("c.png", qr_png(text), "image/png")}
    assert client.post("/check/qr", files=picture).status_code == 200
    # the Smart Check API by number with a token, and by QR text (here on the threaded path)
    asked = {"number": registry.cards["ann"], "surname": "Test"}
    assert client.get("/api/v1/check", params=asked, headers=ann).status_code == 200
    assert client.post("/api/v1/verify", json={"qr": text}, headers=ann).status_code == 200
    # a bulk CSV upload (the file is inspected) and a report PDF
    business = bearer(_business(client, uow_factory, "a@acme.test", "01234567", "Acme"))
    csv = f"number,surname\n{registry.cards['ann']},Test\n"
    bulk = client.post(
        "/api/v1/business/bulk", files={"file": ("s.csv", csv, "text/csv")}, headers=business
    )
    assert bulk.status_code == 202, bulk.text
    pdf = client.get("/api/v1/business/reports?format=pdf", headers=business)
    assert pdf.status_code == 200
    # a page sign-in, and a card photo through the admin page (re-encoded)
    assert sign_in(client, registry.emails["ecs_admin"]).status_code == 303
    number = registry.cards["ann"]
    form = {"csrf_token": page_csrf(client.get(f"/admin/cards/{number}").text), "card": number}
    photo = client.post(
        f"/admin/cardholders/{registry.holders['ann']}/photo",
        data=form,
        files={"photo": ("p.png", drawn_portrait("Ann Test"), "image/png")},
        follow_redirects=False,
    )
    assert photo.status_code in (303, 422)
    assert statements_on_the_loop == []
