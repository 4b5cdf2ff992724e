"""``skillcard card``: show a card and move it through its lifecycle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcard.adapters.qr import make_qr, qr_png
from skillcard.cli.common import OPERATOR, console, get_settings, print_json, uow
from skillcard.domain.provenance import Source
from skillcard.errors import InvalidInput
from skillcard.services.credentials import credentials
from skillcard.services.registry import cards, provenance
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
    test_centre: Annotated[
        str | None, typer.Option("--test-centre", help="The test centre's code, e.g. TC-0042")
    ] = None,
    training_provider: Annotated[
        str | None, typer.Option("--training-provider", help="The training provider's code")
    ] = None,
    as_json: Json = False,
) -> None:
    """Issue a new card to a cardholder, with where it came from if given."""
    sources = [
        Source.of(kind, ref)
        for kind, ref in (("test_centre", test_centre), ("training_provider", training_provider))
        if ref is not None
    ]
    view = cards.issue_card(
        uow=uow(),
        who=OPERATOR,
        cardholder_id=cardholder,
        scheme_code=scheme,
        card_type_code=card_type,
        occupation_code=occupation,
        issued_on=issued_on.date() if issued_on else None,
        sources=sources,
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


@app.command("sources")
def sources(number: Number, scheme: Scheme = None, as_json: Json = False) -> None:
    """Where a card came from: assessment, test centre, training provider, import."""
    found = provenance.card_sources(
        uow=uow(read_only=True), who=OPERATOR, number=number, scheme_code=scheme
    )
    if as_json:
        print_json(
            {
                "sources": [
                    {"kind": s.kind.value, "reference": s.reference, "name": s.name} for s in found
                ]
            }
        )
        return
    for source in found or []:
        console.print(source.label, markup=False)  # names come from outside
    if not found:
        console.print("No source recorded for this card.")


@app.command("revoke-by-source")
def revoke_by_source(
    scheme: Annotated[str, typer.Argument(help="Scheme code, e.g. ECS")],
    kind: Annotated[
        str, typer.Option("--kind", help="assessment, test_centre, training_provider or import")
    ],
    ref: Annotated[str, typer.Option("--ref", help="The source's reference, e.g. TC-0042")],
    reason: Annotated[str, typer.Option("--reason", help="Why: audited, and told to holders")] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say how many cards, and whose")
    ] = False,
    as_json: Json = False,
) -> None:
    """Revoke every active or suspended card of SCHEME that came through one source."""
    if dry_run:
        seen = provenance.preview(
            uow=uow(read_only=True), who=OPERATOR, scheme_code=scheme, kind=kind, reference=ref
        )
        if as_json:
            print_json(
                {
                    "scheme": seen.scheme_code,
                    "source": seen.source.label,
                    "count": seen.count,
                    "sample": [
                        {"number": c.number, "holder_name": c.holder_name} for c in seen.sample
                    ],
                }
            )
            return
        console.print(
            f"{seen.count} card(s) of {seen.scheme_code} came through "
            f"{seen.source.label} and would be revoked. The first few:"
        )
        for card in seen.sample:
            console.print(f"  {card.number}  {card.holder_name}  ({card.status})", markup=False)
        return
    done = provenance.revoke_by_provenance(
        uow=uow(),
        who=OPERATOR,
        scheme_code=scheme,
        kind=kind,
        reference=ref,
        reason=reason,
        public_url=get_settings().public_url,
    )
    if as_json:
        print_json(
            {
                "scheme": done.scheme_code,
                "source": done.source.label,
                "revoked": done.count,
                "card_numbers_sha256": done.digest,
                "holders_told": done.holders_told,
                "businesses_told": done.businesses_told,
            }
        )
        return
    console.print(
        f"Revoked {done.count} card(s) of {done.scheme_code} from {done.source.label}; "
        f"{done.holders_told} holder(s) and {done.businesses_told} business(es) will be e-mailed."
    )
