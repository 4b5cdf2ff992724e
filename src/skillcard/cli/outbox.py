"""``skillcard outbox``: send the e-mail that waits in the outbox."""

from __future__ import annotations

import typer

from skillcard.cli.common import console, print_json, uow
from skillcard.config import get_settings
from skillcard.errors import InvalidInput
from skillcard.services.outbox import outbox

app = typer.Typer(help="The e-mail outbox.", no_args_is_help=True)


@app.command("send")
def send(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Send every waiting message over SMTP (SKILLCARD_SMTP_HOST and friends)."""
    mailer = get_settings().mailer()
    if mailer is None:
        raise InvalidInput("no SMTP server is configured: set SKILLCARD_SMTP_HOST")
    sent, failed = outbox.deliver_pending(uow, mailer)
    if as_json:
        print_json({"sent": sent, "failed": failed})
    else:
        console.print(f"Sent {sent} message{'s' if sent != 1 else ''}; {failed} failed.")
    if failed:
        raise typer.Exit(3)
