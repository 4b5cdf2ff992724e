"""The outbox: mail is stored with its change, sent once over real SMTP, kept when it fails."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from skillcard.adapters.mail import SmtpMailer
from skillcard.domain.accounts import Principal, Role
from skillcard.errors import InvalidInput, PermissionDenied
from skillcard.services.outbox import outbox

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.received = []

    def handle_message(self, message):
        self.received.append(message)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _queue(uow_factory, to="site.manager@example.com", key=None, subject="Cards expiring"):
    with uow_factory() as uow:
        queued = outbox.queue_email(
            uow, to=to, subject=subject, body="Three cards expire.", kind="t", dedupe_key=key
        )
        uow.commit()
    return queued


def test_a_message_rolled_back_with_its_change_is_never_sent(uow_factory):
    with uow_factory() as uow:
        outbox.queue_email(uow, to="a@example.com", subject="s", body="b", kind="t")
        # no commit: the change it announced did not happen
    with uow_factory() as uow:
        assert uow.outbox.recent(10) == []


def test_a_dedupe_key_queues_a_digest_once(uow_factory):
    assert _queue(uow_factory, key="digest:1:2026-11-26") is not None
    assert _queue(uow_factory, key="digest:1:2026-11-26") is None
    with uow_factory() as uow:
        assert len(uow.outbox.recent(10)) == 1


def test_pending_mail_is_delivered_over_smtp_once(uow_factory, smtp_server):
    controller, inbox = smtp_server
    _queue(uow_factory, to="Site.Manager@Example.com")
    mailer = SmtpMailer(
        controller.hostname, controller.port, sender="hub@skillcard.test", starttls=False
    )
    assert outbox.deliver_pending(uow_factory, mailer, now=NOW) == (1, 0)
    assert outbox.deliver_pending(uow_factory, mailer, now=NOW) == (0, 0)
    assert len(inbox.received) == 1
    mail = inbox.received[0]
    assert mail["To"] == "site.manager@example.com"
    assert mail["Subject"] == "Cards expiring"
    assert "Three cards expire." in mail.get_payload()
    with uow_factory() as uow:
        assert uow.outbox.recent(1)[0].sent_at is not None


def test_a_refusing_server_keeps_the_message_with_the_reason(uow_factory):
    _queue(uow_factory)
    closed = SmtpMailer(
        "127.0.0.1", _free_port(), sender="hub@skillcard.test", starttls=False, timeout=2
    )
    assert outbox.deliver_pending(uow_factory, closed) == (0, 1)
    with uow_factory() as uow:
        [message] = uow.outbox.recent(1)
    assert message.sent_at is None and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error


def test_a_subject_cannot_smuggle_a_header_and_an_address_is_checked(uow_factory):
    queued = _queue(uow_factory, subject="Hello\r\nBcc: everyone@example.com")
    assert queued.subject == "Hello Bcc: everyone@example.com"
    with pytest.raises(InvalidInput), uow_factory() as uow:
        outbox.queue_email(uow, to="not an address", subject="s", body="b", kind="t")


def test_only_the_hub_admin_reads_the_outbox_outside_a_demo(uow_factory):
    _queue(uow_factory)
    holder = Principal(label="ann", role=Role.CARDHOLDER, cardholder_id=1)
    with pytest.raises(PermissionDenied):
        outbox.recent_messages(uow=uow_factory(), who=holder, demo=False)
    assert len(outbox.recent_messages(uow=uow_factory(), who=holder, demo=True)) == 1
    admin = Principal.operator()
    assert len(outbox.recent_messages(uow=uow_factory(), who=admin, demo=False)) == 1
