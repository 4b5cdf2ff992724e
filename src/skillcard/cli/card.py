"""``skillcard card``: show a card and move it through its lifecycle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcard.adapters.qr import make_qr, qr_png
from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.errors import InvalidInput
from skillcard.services.credentials import credentials
from skillcard.services.registry import cards
from skillcard.services.registry.cards import CardView

app = typer.Typer(
    help="Show, issue, renew, replace, suspend, reinstate or revoke a card.", no_args_is_help=True
)

Number = Annotated[str, typer.Argument(help="The card number, e.g. ECS00012344")]
Scheme = Annotated[
    str | None, typer.Option("--scheme", help="Scheme code, if not clear from the number")
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]
Reason = Annotated[str, typer.Option("--reason", help="Why: it goes into the audit log")]

STATE_STYLE = {
    "valid": "bold green",
    "expired": "bold red",
    "not_yet_valid": "bold yellow",
    "suspended": "bold red",
    "revoked": "bold red",
    "replaced": "bold red",
}


def show_view(view: CardView, as_json: bool) -> None:
    if as_json:
        print_json(view)
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    state = view.state + (" (expires within 90 days)" if view.expiring_soon else "")
    rows = [
        ("Card", view.number),
        ("Scheme", f"{view.scheme_name} ({view.scheme_code})"),
        ("Holder", view.holder_name),
        ("Card type", f"{view.card_type_title} ({view.card_type_code})"),
        ("Occupation", view.occupation or "-"),
        ("Issued", view.issued_on.isoformat()),
        ("Expires", view.expires_on.isoformat()),
        ("State", f"[{STATE_STYLE.get(view.state, 'bold')}]{state}[/]"),
    ]
    if view.status_reason:
        rows.append(("Reason", view.status_reason))
    for label, value in rows:
        table.add_row(f"[dim]{label}[/]", value)
    console.print(table)


@app.command("show")
def show(number: Number, scheme: Scheme = None, as_json: Json = False) -> None:
    """Show a card and what it is today."""
    show_view(
        cards.show_card(uow=uow(read_only=True), who=OPERATOR, number=number, scheme_code=scheme),
        as_json,
    )


@app.command("issue")
def issue(
    cardholder: Annotated[int, typer.Option("--cardholder", help="The cardholder's id")],
    scheme: Annotated[str, typer.Option("--scheme", help="Scheme code, e.g. ECS")],
    card_type: Annotated[
        str, typer.Option("--card-type", help="Card type code, e.g. INSTALLATION_ELECTRICIAN")
    ],
    occupation: Annotated[str | None, typer.Option("--occupation", help="Occupation code")] = None,
    issued_on: Annotated[
        dt.datetime | None, typer.Option("--issued-on", formats=["%Y-%m-%d"])
    ] = None,
    as_json: Json = False,
) -> None:
    """Issue a new card to a cardholder."""
    view = cards.issue_card(
        uow=uow(),
        who=OPERATOR,
        cardholder_id=cardholder,
        scheme_code=scheme,
        card_type_code=card_type,
        occupation_code=occupation,
        issued_on=issued_on.date() if issued_on else None,
    )
    show_view(view, as_json)


@app.command("renew")
def renew(number: Number, scheme: Scheme = None, as_json: Json = False) -> None:
    """Renew a card: a new expiry counted from today (within six months of expiry, or after)."""
    show_view(cards.renew_card(uow=uow(), who=OPERATOR, number=number, scheme_code=scheme), as_json)


@app.command("replace")
def replace(
    number: Number,
    reason: Annotated[str, typer.Option("--reason", help="lost, stolen or damaged")],
    scheme: Scheme = None,
    as_json: Json = False,
) -> None:
    """Replace a lost, stolen or damaged card: the old number stops working."""
    show_view(
        cards.replace_card(
            uow=uow(), who=OPERATOR, number=number, reason=reason, scheme_code=scheme
        ),
        as_json,
    )


@app.command("suspend")
def suspend(number: Number, reason: Reason, scheme: Scheme = None, as_json: Json = False) -> None:
    """Suspend a card until it is reinstated."""
    show_view(
        cards.suspend_card(
            uow=uow(), who=OPERATOR, number=number, reason=reason, scheme_code=scheme
        ),
        as_json,
    )


@app.command("reinstate")
def reinstate(
    number: Number,
    reason: Annotated[str, typer.Option("--reason")] = "",
    scheme: Scheme = None,
    as_json: Json = False,
) -> None:
    """Reinstate a suspended card."""
    show_view(
        cards.reinstate_card(
            uow=uow(), who=OPERATOR, number=number, reason=reason, scheme_code=scheme
        ),
        as_json,
    )


@app.command("revoke")
def revoke(number: Number, reason: Reason, scheme: Scheme = None, as_json: Json = False) -> None:
    """Revoke a card for good (a reason is required)."""
    show_view(
        cards.revoke_card(
            uow=uow(), who=OPERATOR, number=number, reason=reason, scheme_code=scheme
        ),
        as_json,
    )


@app.command("qr")
def qr(
    number: Number,
    scheme: Scheme = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the printed QR as a PNG")
    ] = None,
    text: Annotated[bool, typer.Option("--text", help="Print the QR's text")] = False,
) -> None:
    """The card's printed credential: a signed QR code (version 15 at most, level Q)."""
    if (out is None) == (not text):
        raise InvalidInput("give one of -o PNG or --text")
    content = credentials.printed_credential(uow=uow(), number=number, scheme_code=scheme)
    if text:
        typer.echo(content)
        return
    assert out is not None  # -o was given, --text was not
    out.write_bytes(qr_png(content))
    console.print(f"Wrote {out} ({len(content)} characters, version {make_qr(content).version})")
