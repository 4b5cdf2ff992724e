"""What the browser tests share: the app served live, Debian's headless Chromium at a phone's
size, axe-core, and signing in through the real form.

conftest.py registers ``live_server`` and ``page`` for the e2e tests. A browser test module runs
on SQLite only by naming ``database_url = sqlite_database_url``; the HTTP tests already cover
both databases.

The pages run under a strict Content-Security-Policy (no inline script, no eval). Playwright's
``page.evaluate`` goes through DevTools and is not bound by it, but ``wait_for_function`` given
a bare expression evaluates it with ``eval`` in the page at each poll, which the CSP refuses:
give it a function (``"() => ..."``), which is compiled once through DevTools.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from skillcard.config import Settings
from skillcard.web import create_app
from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture(params=["sqlite"])
def sqlite_database_url(request, tmp_path):
    """A fresh, migrated SQLite database (the browser tests' ``database_url``): a copy of the
    session's migrated template."""
    return request.getfixturevalue("_sqlite_template").copy_to(tmp_path / "browser.db")


@contextmanager
def serving(app) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free local port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(registry, database_url, engine, files_dir):
    """The real app over the test registry, served live; its base URL."""
    settings = Settings(environment="test", database_url=database_url, files_dir=files_dir)
    with serving(create_app(settings, engine=engine)) as base:
        yield base


# Playwright's Sync API runs one instance per thread at a time: a browser launched while one
# is running (a test's own ``chromium(...)`` beside the module's ``page``) uses that one.
_running_playwright: list = []


@contextmanager
def _playwright():
    if _running_playwright:
        yield _running_playwright[-1]
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        _running_playwright.append(playwright)
        try:
            yield playwright
        finally:
            _running_playwright.pop()


@contextmanager
def chromium(*extra_args: str):
    """Debian's headless Chromium, launched with our arguments and any ``extra_args``."""
    with _playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args)
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def _module_chromium():
    """One Chromium for a module's ``page``s: launching one takes a second or more, and each
    test gets a browser context of its own (no cookie, storage or cache shared). Per module,
    not per session: the Sync API keeps its event loop marked running while it lives, which
    would refuse ``asyncio.run`` in the tests after it."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(_module_chromium):
    """A page in headless Chromium at a phone's size, in a fresh browser context."""
    context = _module_chromium.new_context(viewport=PHONE)
    try:
        yield context.new_page()
    finally:
        context.close()


@functools.cache
def _axe_script() -> str:
    return AXE.read_text()


def axe_violations(page) -> list[str]:
    """What axe-core finds wrong with the page as it is now, one line per rule.

    axe is evaluated through the DevTools protocol, not added as an inline <script>: the
    pages' Content-Security-Policy refuses inline script (and must keep refusing it)."""
    page.evaluate(_axe_script())
    return page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => v.id + ': ' + v.help + ' ' + v.nodes.length)"
    )


def fill_sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Fill in the sign-in form that is on the page."""
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)


def sign_in(page, base: str, email: str, landing: str | None = None) -> None:
    """Sign in through the real form. With a ``landing`` path, ask for it and wait until it is
    shown; without one, wait for wherever the form leads."""
    page.goto(f"{base}/login?next={landing}" if landing else f"{base}/login")
    fill_sign_in(page, email)
    page.get_by_role("button", name="Sign in").click()
    if landing:
        page.wait_for_url(f"{base}{landing}")
    else:
        page.wait_for_load_state()
