"""Sending e-mail over SMTP (the standard library's client), for the outbox."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from skillcard.domain.outbox import OutboxMessage


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 20.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, message: OutboxMessage) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to_address
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<outbox-{message.id}@skillcard>"
        mail.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(mail)
