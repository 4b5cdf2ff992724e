"""``skillcard verify``: check a card's QR code, offline, from a PNG or its text; or an open
credential this hub issued (a card's SD-JWT VC, an Open Badge), from its text or its file.

Exit 0 when the card is valid, 1 when it is not, 2 for bad input. Text that is not a card's
code at all (garbage, a wrong prefix) is a check that came out ``malformed``: exit 1, like any
other card that does not pass, since a checker scanned something and it is not a valid card.
Bad input (2) is what stops a check from being made: an image with no QR code in it, an
unreadable file, a damaged or wrongly signed bundle, neither or both of --qr and --text.

An open credential is checked against the local database's keys and status lists (a bundle
carries neither the hub's badge list nor a format for them): --credential FILE, or its text.

--at checks as at another moment (ISO 8601 with its zone): a phone's presentation (SC2:) read
now and checked --at two minutes on is refused, as a screenshot shown then would be.

Without --bundle the local database's keys and status lists are used; with it, the bundle's
signatures are checked first, against the pinned hub key: --hub-key, else the setting
SKILLCARD_HUB_KEY. A bundle's own key proves only that it is whole, not who made it, so with
no pin the command refuses outside development (exit 2, saying how to pin) and, in
development, trusts the bundle's key with a loud warning on stderr.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcard.adapters.qr import read_qr
from skillcard.cli.common import console, err_console, print_json, uow
from skillcard.config import get_settings
from skillcard.errors import InvalidInput
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import credentials, open_badges, trust
from skillcard.services.credentials.verification import PREFIX
from skillcard.services.credentials.verification import verify as verify_offline


def verify(
    qr: Annotated[Path | None, typer.Option("--qr", help="A PNG/JPEG holding the QR")] = None,
    text: Annotated[str | None, typer.Option("--text", help="The QR's text, SC1:...")] = None,
    credential: Annotated[
        Path | None,
        typer.Option("--credential", help="A downloaded SD-JWT VC or Open Badge (VC-JWT)"),
    ] = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="A verifier bundle (skillcard trust export)")
    ] = None,
    hub_key: Annotated[
        str | None, typer.Option("--hub-key", help="Pinned hub public key (base64url SEC1)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Check as at this moment (ISO 8601 with zone), not now"),
    ] = None,
) -> None:
    """Check a card's QR code or an open credential: valid (exit 0) or not (exit 1), and why."""
    if sum(x is not None for x in (qr, text, credential)) != 1:
        raise InvalidInput("give one of --qr PNG, --text TEXT or --credential FILE")
    if qr is not None:
        text = _text_in(qr)
    if credential is not None:
        text = _read(credential).decode("ascii", "replace").strip()
    assert text is not None  # exactly one of the three was given
    if credential is not None or (
        not text.startswith(PREFIX) and open_badges.looks_like_open_credential(text)
    ):
        _verify_open(text, as_json)
        return
    now = _moment(at) if at else utcnow()
    window = get_settings().presentation_window()
    if bundle is None:
        result = credentials.verify_text(uow=uow(), text=text, now=now, window=window)
    else:
        pinned = _pinned(hub_key)
        data = _read(bundle)
        loaded = trust.bundle_from_json(data, now, pinned_hub_key=pinned)
        result = verify_offline(text, loaded, now, window)
    answer = credentials.result_json(result)
    if as_json:
        print_json(answer)
    else:
        _show(answer)
    if not result.valid:
        raise typer.Exit(1)


def _moment(text: str) -> dt.datetime:
    """--at: a moment with its zone (a check "two minutes later", or as it stood then)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"--at must be an ISO 8601 moment, not {text!r}") from None
    if moment.tzinfo is None:
        raise InvalidInput("--at must give its time zone (e.g. 2026-12-06T21:00:00Z)")
    return moment


def _verify_open(text: str, as_json: bool) -> None:
    kind, found = open_badges.verify_open_credential(
        uow=uow(), text=text, public_url=get_settings().public_url
    )
    answer = {
        "format": kind,
        "outcome": found.outcome,
        "valid": found.valid,
        "reasons": list(found.reasons),
        "key_id": found.key_id,
        "claims": found.claims,
    }
    if as_json:
        print_json(answer)
    else:
        style = "bold green" if found.valid else "bold red"
        console.print(f"[dim]{kind}[/] [{style}]{found.outcome.replace('_', ' ')}[/]")
        if found.reasons:
            console.print(" ".join(found.reasons))
    if not found.valid:
        raise typer.Exit(1)


def _text_in(path: Path) -> str:
    codes = read_qr(_read(path))
    if not codes:
        raise InvalidInput(f"there is no QR code in {path}")
    return codes[0].text


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None


PIN_HOW = (
    "pin the hub's key with --hub-key KEY or SKILLCARD_HUB_KEY (the key `skillcard trust "
    "export` prints, got from the hub by a route you trust)"
)


def _pinned(hub_key: str | None) -> bytes | None:
    settings = get_settings()
    hub_key = hub_key or settings.hub_key
    if not hub_key:
        if not settings.is_development:
            raise InvalidInput(f"a bundle is not checked against its own key: {PIN_HOW}")
        err_console.print(
            "[bold yellow]WARNING: no pinned hub key: trusting the key inside this bundle, "
            f"so anyone could have made it.[/] To check who made it, {PIN_HOW}."
        )
        return None
    try:
        return base64.urlsafe_b64decode(hub_key + "=" * (-len(hub_key) % 4))
    except ValueError:
        raise InvalidInput("--hub-key is not base64url") from None


def _show(answer: dict) -> None:
    style = "bold green" if answer["valid"] else "bold red"
    verdict = answer["outcome"].replace("_", " ")
    if answer["warnings"]:
        verdict += " (" + ", ".join(w.replace("_", " ") for w in answer["warnings"]) + ")"
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("[dim]Result[/]", f"[{style}]{verdict}[/]")
    claims = answer["claims"] or {}
    for label, key in (("Card", "number"), ("Holder", "holder_name"),
                       ("Card type", "card_type_title"), ("Expires", "expires")):  # fmt: skip
        if claims.get(key):
            table.add_row(f"[dim]{label}[/]", str(claims[key]))
    if answer["reasons"]:
        table.add_row("[dim]Why[/]", " ".join(answer["reasons"]))
    console.print(table)
