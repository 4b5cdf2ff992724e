"""Issue 14, trust hardening: security headers on every response (the Smart Check lane's
too), pages with no inline script or style, Secure cookies outside development, `skillcard
serve` refusing unsafe production settings, and API docs that need no internet."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from skillcard.config import DEFAULT_SECRET, Settings
from skillcard.web import create_app
from tests.e2e.browser_support import sqlite_database_url
from tests.e2e.conftest import page_csrf
from tests.factories import PASSWORD

# The headers do not depend on the database: one is enough.
database_url = sqlite_database_url
TEMPLATES = Path(__file__).parents[2] / "src" / "skillcard" / "web" / "templates"
GOOD_PRODUCTION = {
    "environment": "production",
    "secret_key": "a-long-random-production-secret-for-these-tests",
    "public_url": "https://skillcard.example",
    "database_url": "postgresql+psycopg://skillcard@db/skillcard",
}


@pytest.fixture
def app(engine, database_url, tmp_path):
    settings = Settings(environment="test", database_url=database_url, files_dir=tmp_path)
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


KINDS_OF_RESPONSE = {
    "page": ("/", 200),
    "sign-in page": ("/login", 200),
    "api json": ("/api/v1/schemes", 200),
    "page 404": ("/no-such-page", 404),
    "api 404": ("/api/v1/no-such-thing", 404),
    "static file": ("/static/skillcard.css", 200),
    "smart check lane, wrong check digit": ("/api/v1/check?number=ECS99999999&surname=X", 422),
    "smart check lane, bad input": ("/api/v1/check?number=&surname=", 422),
    "redirect": ("/my", 303),
    "api docs": ("/api/docs", 200),
}


def test_every_kind_of_response_carries_the_security_headers(client, registry):
    for kind, (path, status) in KINDS_OF_RESPONSE.items():
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == status, kind
        assert answer.headers["x-frame-options"] == "DENY", kind
        assert answer.headers["x-content-type-options"] == "nosniff", kind
        assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin", kind
        assert "camera=()" in answer.headers["permissions-policy"], kind
        csp = _directives(answer.headers["content-security-policy"])
        assert csp["frame-ancestors"] == ["'none'"], kind
        if path.startswith("/api/v1/"):
            assert csp["default-src"] == ["'none'"], kind
        else:
            assert csp["script-src"] == csp["style-src"] == ["'self'"], kind
            assert csp["object-src"] == csp["base-uri"] == ["'none'"], kind
        assert "unsafe" not in answer.headers["content-security-policy"], kind
        assert "strict-transport-security" not in answer.headers, kind  # plain http


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: values for name, *values in parts}


def test_the_smart_check_lane_keeps_its_own_headers_beside_the_security_ones(client, registry):
    answer = client.get(f"/api/v1/check?number={registry.cards['ann']}&surname=Núñez-O'Brien")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-frame-options"] == "DENY"
    assert len(answer.headers.get_list("content-security-policy")) == 1


CAMERA = [
    ("/check", True),  # Smart Check's QR scanner
    ("/hse/attempts/1", True),  # the HSE ID photo and invigilated test
    ("/hse/attempts/1/snapshots", True),
    ("/", False),
    ("/hse", False),
    ("/check/qr", False),
    ("/checks", False),
    ("/invigilation", False),  # the invigilator looks at photos; no camera
    ("/business/check", False),
    ("/api/v1/check", False),
    ("/static/check.js", False),
]


def test_only_the_pages_that_scan_or_invigilate_may_use_the_camera(client):
    for path, camera in CAMERA:
        policy = client.get(path, follow_redirects=False).headers["permissions-policy"]
        assert ("camera=(self)" in policy) is camera, path
        assert ("camera=()" in policy) is not camera, path
        assert "microphone=()" in policy, path


def test_only_business_checks_spot_check_may_ask_for_the_position(client):
    assert (
        "geolocation=(self)"
        in client.get("/business/check", follow_redirects=False).headers["permissions-policy"]
    )
    assert "geolocation=()" in client.get("/check").headers["permissions-policy"]


def test_hsts_only_when_the_request_came_over_https(client):
    assert client.get("https://testserver/check").headers["strict-transport-security"] == (
        "max-age=31536000"
    )
    assert "strict-transport-security" in client.get("https://testserver/api/v1/schemes").headers
    # A client's own X-Forwarded-Proto is not trusted by the app: only uvicorn's proxy_headers,
    # for a proxy in its forwarded_allow_ips, turns it into the request's scheme.
    spoofed = client.get("/check", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in spoofed.headers


# --- pages with no inline script or style -------------------------------------------------

INLINE = {
    "inline <script> block": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I
    ),
    "on...= handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "style= attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "<style> block": re.compile(r"<style[\s>]", re.I),
    "hx-on attribute (needs eval)": re.compile(r"\shx-on", re.I),
}


def test_no_template_has_inline_script_or_style():
    """The CSP refuses them: a page that has one is broken in the browser."""
    found = []
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 40
    for template in templates:
        text = re.sub(r"{#.*?#}", "", template.read_text(), flags=re.S)  # Jinja comments
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.name}:{line}: {what}")
    assert found == []


def test_the_template_check_finds_what_it_looks_for():
    bad = (
        '<script>alert(1)</script><button onclick="x()">'
        '<a href="javascript:x()"><p style="color:red"><style>p{}</style><div hx-on:click="x">'
    )
    assert all(pattern.search(bad) for pattern in INLINE.values())
    good = (
        '<script src="/static/a.js" defer></script>'
        '<script type="application/json" id="data">{}</script>'
        '<button data-onclick="x" class="button"><p data-style="x">'
    )
    assert not any(pattern.search(good) for pattern in INLINE.values())


# --- cookies --------------------------------------------------------------------------------


def test_cookies_are_secure_by_default_outside_development_and_test():
    assert Settings(environment="production").cookie_secure is True
    assert Settings(environment="staging").cookie_secure is True
    assert Settings(environment="development").cookie_secure is False
    assert Settings(environment="test").cookie_secure is False
    assert Settings(environment="production", cookie_secure=False).cookie_secure is False


def test_cookies_secure_can_still_be_set_by_environment_variable(monkeypatch):
    monkeypatch.setenv("SKILLCARD_ENVIRONMENT", "production")
    monkeypatch.setenv("SKILLCARD_COOKIE_SECURE", "false")
    assert Settings().cookie_secure is False


def test_in_production_the_sign_in_cookies_are_secure_httponly_and_samesite(
    registry, engine, database_url, tmp_path
):
    settings = Settings(**{**GOOD_PRODUCTION, "database_url": database_url}, files_dir=tmp_path)
    app = create_app(settings, engine=engine)
    with TestClient(app, base_url="https://testserver") as client:
        login = client.get("/login")
        csrf_cookie = login.headers["set-cookie"].lower()
        assert "secure" in csrf_cookie and "httponly" in csrf_cookie
        signed_in = client.post(
            "/login",
            data={
                "email": registry.emails["ann"],
                "password": PASSWORD,
                "csrf_token": page_csrf(login.text),
                "next": "/my",
            },
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        [session] = [
            c
            for c in signed_in.headers.get_list("set-cookie")
            if c.startswith("skillcard_session=")
        ]
        attributes = {part.strip().lower() for part in session.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax"} <= attributes


# --- `skillcard serve` in production --------------------------------------------------------


def test_serve_refuses_unsafe_production_settings_and_names_each(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLCARD_")}
    env |= {"SKILLCARD_ENVIRONMENT": "production", "SKILLCARD_COOKIE_SECURE": "false"}
    # Were the refusal missing, the server would start: the timeout makes that a failure.
    done = subprocess.run(
        [sys.executable, "-m", "skillcard.cli", "serve", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    said = " ".join(done.stderr.split())
    for setting in (
        "SKILLCARD_SECRET_KEY",
        "SKILLCARD_COOKIE_SECURE",
        "SKILLCARD_PUBLIC_URL",
        "SKILLCARD_DATABASE_URL",
    ):
        assert setting in said
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "skillcard.db").exists()  # refused before touching anything


@pytest.mark.parametrize(
    "change, named",
    [
        ({"secret_key": DEFAULT_SECRET}, "SKILLCARD_SECRET_KEY"),
        ({"secret_key": ""}, "SKILLCARD_SECRET_KEY"),
        ({"secret_key": "short-but-not-default"}, "SKILLCARD_SECRET_KEY"),
        ({"cookie_secure": False}, "SKILLCARD_COOKIE_SECURE"),
        ({"public_url": "http://skillcard.example"}, "SKILLCARD_PUBLIC_URL"),
        ({"database_url": "sqlite:///skillcard.db"}, "SKILLCARD_DATABASE_URL"),
        ({"environment": "staging", "database_url": "sqlite:////srv/x.db"}, "DATABASE_URL"),
    ],
)
def test_each_unsafe_production_setting_is_named_alone(change, named, tmp_path):
    settings = Settings(**{**GOOD_PRODUCTION, **change}, secret_file=tmp_path / "none")
    [problem] = settings.unsafe_for_production()
    assert problem.startswith(named) or named in problem


def test_safe_production_settings_and_development_are_accepted(tmp_path):
    assert Settings(**GOOD_PRODUCTION).unsafe_for_production() == []
    assert Settings(environment="development").unsafe_for_production() == []


# --- API docs with no internet --------------------------------------------------------------


def test_the_api_docs_load_only_files_of_this_site(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "<script>" not in page.text
    referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(referenced) >= 4
    for url in referenced:
        assert url.startswith("/") and not url.startswith("//"), url
        assert client.get(url).status_code == 200, url
    assert client.get("/openapi.json").json()["info"]["title"] == "skillcard"
    assert client.get("/docs/oauth2-redirect").status_code == 404  # an inline-script page
