"""The outbox page shows a demo's mail; outside development it is the hub admin's alone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from skillcard.config import Settings
from skillcard.services.outbox import outbox
from skillcard.web import create_app
from tests.e2e.conftest import sign_in


def _queue(uow_factory):
    with uow_factory() as uow:
        outbox.queue_email(
            uow,
            to="new.business@example.com",
            subject="Confirm your business",
            body="Open https://skillcard.test/business/confirm?token=abc to confirm.",
            kind="business.confirm",
        )
        uow.commit()


def test_in_a_demo_the_outbox_shows_the_mail_with_its_links(client, uow_factory):
    _queue(uow_factory)
    page = client.get("/outbox")
    assert page.status_code == 200
    assert "Confirm your business" in page.text
    assert '<a href="https://skillcard.test/business/confirm?token=abc"' in page.text
    # issue 19: the time says its zone in the UK's words, and a body wraps on a phone
    assert " UTC" not in page.text and (" GMT" in page.text or " BST" in page.text)
    assert '<pre class="mail-body">' in page.text
    css = client.get("/static/skillcard.css").text
    assert ".mail-body { white-space: pre-wrap; overflow-wrap: anywhere;" in css


def test_outside_development_only_the_hub_admin_sees_it(
    registry, uow_factory, engine, database_url, files_dir
):
    _queue(uow_factory)
    settings = Settings(
        environment="production",
        database_url=database_url,
        files_dir=files_dir,
        secret_key="a-long-random-production-secret-for-this-test",
    )
    # Over https: outside development the sign-in cookies are Secure.
    app = create_app(settings, engine=engine)
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/outbox").status_code == 404
        sign_in(client, registry.emails["hub"])
        assert "Confirm your business" in client.get("/outbox").text


def test_sending_without_smtp_says_what_to_set(cli):
    code, _out, err = cli("outbox", "send")
    assert code == 2
    assert "SKILLCARD_SMTP_HOST" in err
