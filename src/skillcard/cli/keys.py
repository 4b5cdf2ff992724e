"""``skillcard keys``: list the signing keys, rotate a hub-held one, register and retire the
keys a scheme holds itself, and print the claims such a scheme signs for a card."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.errors import InvalidInput
from skillcard.services.credentials import scheme_keys, signing

app = typer.Typer(
    help="Signing keys: list them, rotate one, register a scheme's own.", no_args_is_help=True
)
MAX_KEY_FILE = 8_192


@app.command("list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Every scheme's keys and the hub's, current and retired (missing ones are made)."""
    views = signing.list_keys(uow=uow())
    if as_json:
        print_json({"keys": views})
        return
    table = Table(
        "scheme", "kid", "held by", "status", "signs from", "signs until", "verifies until"
    )
    for v in views:
        table.add_row(
            v.scheme,
            v.kid,
            v.holder,
            v.status,
            f"{v.valid_from:%Y-%m-%d %H:%M}",
            f"{v.valid_until:%Y-%m-%d %H:%M}" if v.valid_until else "-",
            v.verify_until.isoformat() if v.verify_until else "-",
        )
    console.print(table)


@app.command("rotate")
def rotate(
    scheme: Annotated[str, typer.Argument(help="Scheme code, or HUB for the hub's own key")],
    reason: Annotated[str, typer.Option("--reason", help="Why: it goes into the audit log")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """A new signing key from now on; the old one keeps verifying the cards it signed."""
    new = signing.rotate_key(uow=uow(), who=OPERATOR, scheme_code=scheme, reason=reason)
    if as_json:
        print_json({"scheme": scheme.upper(), "kid": new.kid, "valid_from": new.valid_from})
    else:
        console.print(f"{scheme.upper()} now signs with key [bold]{new.kid}[/]")


def _moment(text: str, option: str) -> dt.datetime:
    """An ISO date or time; a date is its midnight UTC, a time without a zone is UTC."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} must be an ISO date or time, like 2027-01-31") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@app.command("register")
def register(
    scheme: Annotated[str, typer.Argument(help="Scheme code")],
    key_file: Annotated[
        Path, typer.Argument(help="The public key: a JWK (.json) or a PEM public key")
    ],
    until: Annotated[str, typer.Option("--until", help="When it stops signing (ISO)")],
    since: Annotated[
        str | None, typer.Option("--from", help="When it may start signing (ISO); now")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Register a key the scheme holds in its own system (the public half only). From the
    first one on, the hub signs none of the scheme's cards."""
    try:
        with key_file.open("rb") as handle:
            raw = handle.read(MAX_KEY_FILE + 1)
    except OSError as error:
        raise InvalidInput(f"cannot read {key_file}: {error.strerror}") from None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise InvalidInput(f"{key_file} is not a JWK or PEM text file") from None
    key = scheme_keys.register_key(
        uow=uow(),
        who=OPERATOR,
        scheme_code=scheme,
        public_key=text,
        valid_from=_moment(since, "--from") if since else None,
        valid_until=_moment(until, "--until"),
    )
    if as_json:
        print_json(
            {
                "scheme": scheme.upper(),
                "kid": key.kid,
                "holder": str(key.holder),
                "valid_from": key.valid_from,
                "valid_until": key.valid_until,
            }
        )
    else:
        console.print(f"{scheme.upper()} key [bold]{key.kid}[/] registered (held by the scheme)")


@app.command("retire")
def retire(
    scheme: Annotated[str, typer.Argument(help="Scheme code")],
    kid: Annotated[
        str, typer.Option("--kid", help="The key id (an option: a key id may start with -)")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why: it goes into the audit log")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Stop one of the scheme's own keys signing, from now (it still vouches for what it
    signed in its window)."""
    key = scheme_keys.retire_key(
        uow=uow(), who=OPERATOR, scheme_code=scheme, kid=kid, reason=reason
    )
    if as_json:
        print_json({"scheme": scheme.upper(), "kid": key.kid, "status": str(key.status)})
    else:
        console.print(f"{scheme.upper()} key [bold]{key.kid}[/] retired")


@app.command("claims")
def claims(
    scheme: Annotated[str, typer.Argument(help="Scheme code")],
    number: Annotated[str, typer.Argument(help="Card number")],
) -> None:
    """The exact claims a scheme signs for one of its active cards, as one JSON object (the
    CBOR map to sign is its ``cbor``, base64url)."""
    print_json(scheme_keys.card_claims(uow=uow(), who=OPERATOR, scheme_code=scheme, number=number))
