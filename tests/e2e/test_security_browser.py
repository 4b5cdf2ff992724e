"""Issue 14, trust hardening, in Debian's Chromium: another site cannot frame a page, and the
main pages run under the Content-Security-Policy with no console error, no CSP violation and
no request to anywhere but the site itself (the API docs included: no CDN)."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.photos import drawn_portrait
from skillcard.services.hse import hse_bank
from tests.e2e.browser_support import PHONE, chromium, serving, sign_in, sqlite_database_url
from tests.factories import OPERATOR

pytestmark = pytest.mark.browser
database_url = sqlite_database_url
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# In the page's own world, before any of its scripts: every CSP violation is kept.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + e.blockedURI);
});
window.print = function () { window.__printed = true; };
"""


@pytest.fixture
def live_server(live_server, uow_factory):
    """The shared live server, with the demo item bank to draw the HSE assessment from."""
    hse_bank.import_items(uow=uow_factory(), who=OPERATOR, items=demo_items())
    return live_server


@pytest.fixture
def browser():
    with chromium(*FAKE_CAMERA) as launched:
        yield launched


def test_another_site_cannot_frame_a_page(live_server, page):
    said = []
    page.on("console", lambda message: said.append(message.text))

    async def framing(request):
        return HTMLResponse(
            f'<!doctype html><title>Elsewhere</title><iframe src="{live_server}/check" '
            'title="skillcard"></iframe>'
        )

    with serving(Starlette(routes=[Route("/", framing)])) as elsewhere:
        assert elsewhere != live_server  # another origin: another port
        page.goto(elsewhere)
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        [framed] = [frame for frame in page.frames if frame != page.main_frame]
        # Chromium shows its own error page in the frame instead of the page.
        assert framed.url.startswith("chrome-error://"), framed.url
        assert framed.locator("#qr-form, .site-header").count() == 0
    assert any("frame-ancestors" in line for line in said), said


class Watched:
    """What a browser context's pages said and asked for that they should not have."""

    def __init__(self, context, base: str):
        self.problems: list[str] = []
        self.base = base
        context.add_init_script(WATCH_CSP)
        context.on("page", self.watch)

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda m: m.type == "error" and self.problems.append(f"{page.url}: {m.text}"),
        )
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))
        page.on("request", self.request)
        page.on(
            "response",
            lambda r: r.status >= 400 and self.problems.append(f"{r.status} from {r.url}"),
        )

    def request(self, request) -> None:
        url = request.url
        if not url.startswith((self.base + "/", "data:", "blob:")):
            self.problems.append(f"a request outside the site: {url}")

    def settle(self, page) -> None:
        """Wait for the page to be quiet, then take its CSP violations."""
        page.wait_for_load_state("networkidle")
        for violation in page.evaluate("window.__cspViolations || []"):
            self.problems.append(f"{page.url}: CSP {violation}")


def open_context(browser, base: str):
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["camera"], origin=base)
    return context, Watched(context, base)


def test_the_main_pages_run_under_the_csp_with_no_console_error(
    live_server, browser, registry, uow_factory
):
    from tests.integration.test_business import register

    register(uow_factory)
    base = live_server
    context, watched = open_context(browser, base)
    page = context.new_page()
    page.goto(f"{base}/")
    watched.settle(page)
    page.goto(f"{base}/check")
    page.wait_for_selector("h1")
    watched.settle(page)
    page.goto(f"{base}/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")  # Swagger UI ran, from this site
    page.wait_for_selector(".opblock")  # and drew the operations from /openapi.json
    watched.settle(page)

    sign_in(page, base, registry.emails["ann"], "/my")  # the sign-in page, then MyCard
    watched.settle(page)
    page.goto(f"{base}/my/cpd")
    watched.settle(page)
    page.goto(f"{base}/cards/{registry.cards['ann']}/print")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") is True  # its handler is in a file now
    watched.settle(page)
    page.goto(f"{base}/hse")
    watched.settle(page)
    page.get_by_role("button", name="Start the identity check").click()
    page.wait_for_selector("text=Your camera is on.")  # the camera runs under the policy
    watched.settle(page)
    page.get_by_role("button", name="Take the photo of your face").click()
    page.wait_for_selector("text=Photo taken")
    page.set_input_files(
        "#id-document",
        files=[{"name": "passport.png", "mimeType": "image/png", "buffer": drawn_portrait("Ann")}],
    )
    page.get_by_role("button", name="Send the photos").click()
    page.wait_for_selector("text=Ready to start")
    page.get_by_role("button", name="Start the assessment").click()
    page.wait_for_selector("#q-1 legend")  # the invigilated test, snapshots and all
    page.locator("#q-1 label").first.click()
    page.wait_for_selector("text=Saved. 1 of 50 answered")
    watched.settle(page)
    attempt_id = int(re.search(r"/hse/attempts/(\d+)", page.url).group(1))
    page.get_by_role("button", name="Review your answers").click()
    page.get_by_role("button", name="Hand in your answers").click()
    page.wait_for_selector("text=Your answers are in")
    watched.settle(page)
    context.close()

    context, watched_too = open_context(browser, base)
    page = context.new_page()
    sign_in(page, base, registry.emails["invigilator"], "/invigilation")
    watched_too.settle(page)
    page.goto(f"{base}/invigilation/attempts/{attempt_id}")
    page.wait_for_selector("text=Record the decision")
    watched_too.settle(page)
    context.close()

    context, watched_three = open_context(browser, base)
    page = context.new_page()
    sign_in(page, base, "boss@acme.test", "/business")
    watched_three.settle(page)
    page.goto(f"{base}/business/check")
    page.get_by_label("Card number").fill(registry.cards["bob"])
    page.get_by_label("Surname on the card").fill("Smith")
    page.get_by_label("Yes, it matches").check()
    page.get_by_role("button", name="Check card").click()
    page.wait_for_selector(".check-result")
    watched_three.settle(page)
    context.close()

    assert watched.problems + watched_too.problems + watched_three.problems == []
