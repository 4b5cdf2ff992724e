"""Every page, as every role that may see it, on a phone (390 px) and a desk (1280 px), in
Debian's Chromium over the demo data (issue 19): no horizontal scroll, no element over another's
text, no axe-core violation, no console error, no asset answered 4xx/5xx, and no code word (an
all-capitals code with underscores or a snake_case word) in the text a person reads.

The pages are listed by hand, one line per page and role, with real ids from the demo data: a
new GET page in ``web/pages/`` belongs here too. One browser and one signed-in context per role
serve every case; each case changes only the window's width.
"""

from __future__ import annotations

import contextlib
import re
import warnings

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import text

from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.adapters.photos import PhotoStore, ReportPhotoStore, drawn_portrait
from skillcard.config import Settings
from skillcard.domain.accounts import Principal, Role
from skillcard.services.accounts import accounts
from skillcard.services.checks import suspect_reports
from skillcard.services.demo.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from skillcard.services.hse import hse_attempts
from skillcard.services.mycard import share_links
from skillcard.services.registry.reference_data import install_reference_data, read_reference_data
from skillcard.web import create_app
from tests.e2e.browser_support import axe_violations, chromium, fill_sign_in, serving

pytestmark = pytest.mark.browser

FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
WIDTHS = (390, 1280)
EMAIL = {label: email for label, email, _ in DEMO_LOGINS}
BOB = "bob@demo.skillcard.test"  # a second candidate, part-way through the HSE assessment
DAN = "dan@demo.skillcard.test"  # a third, who hands in (test_handing_in_...)
ROLES = {
    "anonymous": None,
    "hub admin": EMAIL["hub admin"],
    "scheme admin": EMAIL["ECS scheme admin"],
    "cardholder": EMAIL["cardholder"],
    "candidate": BOB,
    "candidate handing in": DAN,
    "business admin": EMAIL["business admin"],
    "business checker": EMAIL["business checker"],
    "invigilator": EMAIL["invigilator"],
    "assessor": EMAIL["assessor"],
}

# (role, path); {placeholders} are filled from the demo data by ``site``.
PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/login"),
    ("anonymous", "/check"),
    ("anonymous", "/password/forgot"),
    ("anonymous", "/business/register"),
    ("anonymous", "/outbox"),
    ("anonymous", "/shared/{shared_card}"),
    ("anonymous", "/check/report?number={ann_card}&scheme=ECS"),
    ("anonymous", "/my/phone"),
    ("hub admin", "/hub"),
    ("hub admin", "/admin/cards"),
    ("hub admin", "/admin/cards?q=Smith"),
    ("hub admin", "/admin/cards/{ann_card}"),
    ("hub admin", "/admin/applications"),
    ("hub admin", "/admin/password-reset"),
    ("hub admin", "/admin/hse/items"),
    ("hub admin", "/admin/hse/items/{item}"),
    ("hub admin", "/outbox"),
    ("hub admin", "/check"),
    ("hub admin", "/account/password"),
    ("hub admin", "/account/tokens"),
    ("hub admin", "/business/approvals"),
    ("scheme admin", "/admin/cards"),
    ("scheme admin", "/admin/cards/{ann_card}"),
    ("scheme admin", "/admin/cards/{revoked_card}"),
    ("scheme admin", "/admin/applications"),
    ("scheme admin", "/admin/hse/items"),
    ("scheme admin", "/admin/hse/items/{item}"),
    ("scheme admin", "/assessor"),
    ("scheme admin", "/cards/{ann_card}/print"),
    ("scheme admin", "/admin/revocations"),
    ("scheme admin", "/admin/revocations/preview?scheme=ECS&kind=test_centre&ref=TC-0042"),
    ("scheme admin", "/admin/suspect-reports"),
    ("scheme admin", "/admin/suspect-reports/{suspect_report}"),
    ("cardholder", "/my"),
    ("cardholder", "/my/cpd"),
    ("cardholder", "/my/qualifications"),
    ("cardholder", "/my/apply"),
    ("cardholder", "/my/applications/{application}"),
    ("cardholder", "/my/cards/{ann_card}/phone"),
    ("cardholder", "/my/phone"),
    ("cardholder", "/my/shares"),
    ("cardholder", "/cards/{ann_card}/print"),
    ("cardholder", "/hse"),
    ("cardholder", "/hse/attempts/{done_attempt}"),
    ("cardholder", "/check"),
    ("cardholder", "/account/password"),
    ("cardholder", "/account/tokens"),
    ("candidate", "/hse/attempts/{running_attempt}"),
    ("business admin", "/business"),
    ("business admin", "/business/check"),
    ("business admin", "/business/people"),
    ("business admin", "/business/bulk"),
    ("business admin", "/business/reports"),
    ("business admin", "/business/webhook"),
    ("business checker", "/business"),
    ("business checker", "/business/check"),
    ("invigilator", "/invigilation"),
    ("invigilator", "/invigilation/attempts/{done_attempt}"),
    ("assessor", "/assessor"),
    ("assessor", "/assessor/cases/{audit_case}"),
]

# Pages known to fail, with why (none today): each is an expected failure, strict, so a fixed
# page says so.
KNOWN: dict[str, str] = {}

CODE_WORD = re.compile(
    r"\b(?:[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]|[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9])\b"
)

# Text a person reads: visible text nodes outside code samples (the API docs show field names
# as code, on purpose).
READ_TEXT = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script, style, template, code, pre, kbd, samp')) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    out.push(node.textContent);
  }
  return out.join(' ');
}"""

# Pairs of things that overlap: a text line, a control or picture, or a positioned (fixed,
# sticky, absolute) box, over another's text, where neither contains the other.
OVERLAPS = """() => {
  // Hidden, or clipped to nothing for screen readers only (.visually-hidden and the like).
  const clipped = el => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const r = a.getBoundingClientRect();
      const tiny = r.width <= 1 || r.height <= 1;
      if (tiny && getComputedStyle(a).overflow !== 'visible') return true;
    }
    return false;
  };
  const visible = el => el.checkVisibility({visibilityProperty: true, opacityProperty: true})
    && !clipped(el);
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.textContent.trim() || el.closest('script, style, template')) continue;
    if (!visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) boxes.push({el, r, text: true});
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el)) continue;
    const style = getComputedStyle(el);
    const replaced = el.matches('img, svg, video, canvas, input, select, textarea, button');
    if (!replaced && !['fixed', 'sticky', 'absolute'].includes(style.position)) continue;
    for (const r of el.getClientRects()) boxes.push({el, r, text: false});
  }
  const big = b => b.r.width > 2 && b.r.height > 2;
  const found = [];
  const texts = boxes.filter(b => b.text && big(b));
  for (const t of texts) {
    for (const o of boxes) {
      if (o === t || !big(o) || o.el === t.el) continue;
      if (o.el.contains(t.el) || t.el.contains(o.el)) continue;
      const w = Math.min(t.r.right, o.r.right) - Math.max(t.r.left, o.r.left);
      const h = Math.min(t.r.bottom, o.r.bottom) - Math.max(t.r.top, o.r.top);
      if (w > 2 && h > 2) {
        const cls = el => typeof el.className === 'string' && el.className
          ? '.' + el.className.split(' ')[0] : '';
        const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls(el);
        const said = t.el.textContent.trim().slice(0, 40);
        found.push(name(o.el) + ' over ' + name(t.el) + ' "' + said + '"');
      }
    }
  }
  return [...new Set(found)].slice(0, 10);
}"""


def _ids(engine) -> dict[str, str]:
    def one(sql: str) -> str:
        with engine.connect() as connection:
            return str(connection.execute(text(sql)).scalar_one())

    return {
        "ann_card": one(
            "SELECT c.number FROM cards c JOIN cardholders h ON h.id = c.cardholder_id"
            " WHERE h.given_names = 'Ann' ORDER BY c.id LIMIT 1"
        ),
        "revoked_card": one("SELECT number FROM cards WHERE status = 'revoked' LIMIT 1"),
        "application": one("SELECT min(id) FROM applications"),
        "audit_case": one("SELECT min(id) FROM cpd_audit_cases"),
        "item": one("SELECT min(code) FROM hse_items"),
    }


def _candidate(engine, uow_factory, given: str, email: str) -> Principal:
    """A log-in for the demo cardholder named ``given``."""
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT id FROM cardholders WHERE given_names = :given"), {"given": given}
        )
        holder = found.scalar_one()
    accounts.add_user(
        uow=uow_factory(), who=Principal.operator(), email=email, display_name=given,
        role=Role.CARDHOLDER, password=DEMO_PASSWORD, cardholder_id=holder,
    )  # fmt: skip
    with uow_factory() as uow:
        return Principal.of(uow.users.by_email(email))


def _sit(uow_factory, store, who: Principal, *, hand_in: bool) -> int:
    attempt = hse_attempts.start_attempt(uow=uow_factory(), who=who, scheme_code="ECS")
    photo = drawn_portrait(who.label)
    hse_attempts.check_identity(
        uow=uow_factory(), store=store, who=who, attempt_id=attempt, face_photo=photo,
        id_photo=photo,
    )  # fmt: skip
    hse_attempts.begin(uow=uow_factory(), who=who, attempt_id=attempt)
    if hand_in:
        hse_attempts.submit(uow=uow_factory(), who=who, attempt_id=attempt)
    return attempt


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo data served live, plus two HSE attempts: Ann's handed in, Bob's under way.
    Yields (base URL, ids for the page list)."""
    folder = tmp_path_factory.mktemp("every-page")
    url = f"sqlite:///{folder / 'demo.db'}"
    files = folder / "files"
    engine = make_engine(url)
    upgrade(engine)

    def uow_factory(read_only=False):
        return SqlAlchemyUnitOfWork(engine, read_only=read_only)

    with uow_factory() as uow:
        install_reference_data(uow, read_reference_data(), actor="test")
        uow.commit()
    with warnings.catch_warnings():  # fpdf's notice about A5, from the demo's certificates
        warnings.simplefilter("ignore", UserWarning)
        load_demo(uow_factory=uow_factory, store=PhotoStore(files), public_url="http://demo.test")
    ids = _ids(engine)
    store = InvigilationFileStore(files)
    with uow_factory() as uow:
        ann = Principal.of(uow.users.by_email(EMAIL["cardholder"]))
    ids["done_attempt"] = str(_sit(uow_factory, store, ann, hand_in=True))
    ids["shared_card"] = share_links.create_share(
        uow=uow_factory(), who=ann, kind="card", subject=ids["ann_card"]
    )
    ids["suspect_report"] = suspect_reports.report_suspect_card(
        uow=uow_factory(),
        photos=ReportPhotoStore(files),
        who=None,
        number=ids["ann_card"],
        scheme_code=None,
        reason="photo_mismatch",
        details="The face did not match.",
        photo=drawn_portrait("Someone Else"),
    ).receipt
    for given, email, key in (("Bob", BOB, "running_attempt"), ("Dan", DAN, "review_attempt")):
        ids[key] = str(
            _sit(uow_factory, store, _candidate(engine, uow_factory, given, email), hand_in=False)
        )
    settings = Settings(environment="test", database_url=url, files_dir=files)
    with serving(create_app(settings, engine=engine)) as base:
        yield base, ids
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with chromium(*FAKE_CAMERA) as launched:
        yield launched


@pytest.fixture(scope="module")
def pages(site, browser):
    """One page per role, signed in through the real form, opened when first asked for."""
    base, _ = site
    opened = {}

    def page_of(role: str):
        if role not in opened:
            context = browser.new_context(viewport={"width": WIDTHS[0], "height": 844})
            context.grant_permissions(["camera"], origin=base)
            page = context.new_page()
            if ROLES[role]:
                page.goto(f"{base}/login")
                fill_sign_in(page, ROLES[role], DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state()
                assert "/login" not in page.url, f"{role} could not sign in"
            opened[role] = page
        return opened[role]

    yield page_of
    for page in opened.values():
        page.context.close()


def _cases():
    for role, path in PAGES:
        for width in WIDTHS:
            known = KNOWN.get(path)
            if path == "/outbox" and width != 390:
                known = None  # wide enough at a desk
            marks = [pytest.mark.xfail(strict=True, reason=known)] if known else []
            yield pytest.param(role, path, width, id=f"{role}-{path}-{width}", marks=marks)


@pytest.mark.parametrize(("role", "path", "width"), list(_cases()))
def test_the_page_reads_cleanly(pages, site, role, path, width):
    base, ids = site
    page = pages(role)
    page.set_viewport_size({"width": width, "height": 844})
    problems: list[str] = []

    def on_console(message):
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    def on_response(response):
        if response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    def on_page_error(error):
        problems.append(f"script error: {error}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", on_page_error)
    try:
        wanted = path.format(**ids)
        page.goto(f"{base}{wanted}")
        # A page that polls never goes quiet; what it has shown by then is enough.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_load_state("networkidle", timeout=5_000)
        assert page.url == f"{base}{wanted}", f"{wanted} led to {page.url}"
        scroll = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if scroll > 0:
            problems.append(f"scrolls sideways by {scroll} px")
        problems += [f"overlap: {o}" for o in page.evaluate(OVERLAPS)]
        problems += [f"axe: {v}" for v in axe_violations(page)]
        words = sorted(set(CODE_WORD.findall(page.evaluate(READ_TEXT))))
        if words:
            problems.append(f"code words shown: {', '.join(words[:10])}")
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("response", on_response)
        page.remove_listener("pageerror", on_page_error)
    assert not problems, f"{role} at {width} px on {path}:\n" + "\n".join(problems)


def test_the_list_names_every_page_the_routers_serve():
    """A GET page added to web/pages/ without a line here fails (files, fragments and
    token links are named as left out, with why)."""
    from fastapi.routing import APIRoute

    from skillcard.web.pages import router

    left_out = {
        "/sw.js": "a script",
        "/photos/{sha256}": "a file",
        "/admin/suspect-reports/{receipt}/photo": "a file",
        "/evidence/{evidence_id}": "a file",
        "/invigilation/files/{attempt_id}/{sha256}": "a file",
        "/my/cpd/export.csv": "a download",
        "/my/cpd/export.pdf": "a download",
        "/business/bulk/{job_id}/result.csv": "a download",
        "/business/reports/download": "a download",
        "/my/cards/{number}/phone/qr": "a fragment the phone page loads",
        "/hse/summary": "a fragment the cardholder's record loads",
        "/business/bulk/{job_id}": "needs a bulk check run: tests/e2e/test_business_browser.py",
        "/business/confirm/{token}": "a link sent by e-mail",
        "/business/invite/{token}": "a link sent by e-mail",
        "/password/reset/{token}": "a link sent by e-mail",
        "/shared/{token}/credential": "a download",
        "/.well-known/jwks.json": "a JSON document for verifiers",
        "/.well-known/did.json": "a JSON document for verifiers",
        "/.well-known/jwt-vc-issuer/schemes/{scheme}": "a JSON document for verifiers",
        "/schemes/{scheme}/did.json": "a JSON document for verifiers",
    }
    served = {
        route.path
        for route in router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods
    }
    listed = {re.sub(r"\{(\w+)\}", "{}", path.split("?")[0]) for _, path in PAGES}
    missing = {
        path for path in served - set(left_out) if re.sub(r"\{(\w+)\}", "{}", path) not in listed
    }
    assert missing == set()


def test_the_review_screen_is_its_own_and_handing_in_reports_nothing_after(pages, site):
    """The sticky clock does not hide "Check your answers"; Previous and Next are gone from
    the review screen; handing in sends no event the server must refuse."""
    base, ids = site
    page = pages("candidate handing in")
    page.set_viewport_size({"width": 390, "height": 844})
    refused = []
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    page.goto(f"{base}/hse/attempts/{ids['review_attempt']}")
    page.get_by_role("button", name="Review your answers").click()
    heading = page.get_by_role("heading", name="Check your answers")
    heading.wait_for()
    bar = page.locator(".hse-bar").bounding_box()
    assert heading.bounding_box()["y"] >= bar["y"] + bar["height"]
    assert not page.get_by_role("button", name="Previous").is_visible()
    assert not page.get_by_role("button", name="Next question").is_visible()
    after = []  # what the page sends once handed in (a leaving page's requests included)
    page.context.on("request", lambda r: after.append(r.url) if "/events" in r.url else None)
    page.get_by_role("button", name="Hand in your answers").click()
    page.wait_for_selector("text=Your answers are in")
    page.wait_for_timeout(1_000)  # anything the leaving page sent has been answered
    assert refused == [] and after == []
