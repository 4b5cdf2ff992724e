"""``skillcard user``: add people who sign in, give, list and revoke API tokens, force a
password reset."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.config import get_settings
from skillcard.domain.accounts import MAX_API_TOKEN_DAYS, ApiToken, Role
from skillcard.services.accounts import accounts, api_tokens, passwords
from skillcard.services.audit.audit import utcnow

app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="Their e-mail address, used to sign in")],
    role: Annotated[str, typer.Option("--role", help=", ".join(r.value for r in Role))],
    name: Annotated[str, typer.Option("--name", help="Their name as shown")] = "",
    scheme: Annotated[
        str | None,
        typer.Option("--scheme", help="Scheme code (scheme admins, invigilators, assessors)"),
    ] = None,
    cardholder: Annotated[
        int | None, typer.Option("--cardholder", help="Cardholder id (cardholders)")
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Omit to be asked (not echoed)")
    ] = None,
    as_json: Json = False,
) -> None:
    """Add a user with one role."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user_id = accounts.add_user(
        uow=uow(),
        who=OPERATOR,
        email=email,
        display_name=name or email,
        role=role,
        password=password,
        passwords=get_settings().passwords(),
        scheme_code=scheme,
        cardholder_id=cardholder,
    )
    if as_json:
        print_json({"id": user_id, "email": email.strip().lower(), "role": role})
    else:
        console.print(f"Added {role} [bold]{email}[/] (user {user_id}).")


@app.command("token")
def token(
    email: Annotated[str, typer.Argument(help="Whose account the token acts for")],
    name: Annotated[str, typer.Option("--name", help="What the token is for")] = "api",
    days: Annotated[
        int | None, typer.Option("--days", help=f"How long it lasts (1 to {MAX_API_TOKEN_DAYS})")
    ] = None,
    as_json: Json = False,
) -> None:
    """Create a bearer token for the API. It is shown once: keep it secret."""
    days = days if days is not None else get_settings().api_token_days
    secret = accounts.create_api_token(uow=uow(), who=OPERATOR, email=email, name=name, days=days)
    if as_json:
        print_json({"token": secret, "email": email, "days": days})
    else:
        console.print(secret, soft_wrap=True)


@app.command("force-reset")
def force_reset(
    email: Annotated[str, typer.Argument(help="Whose password stops working")],
    as_json: Json = False,
) -> None:
    """Force a password reset: the password stops working, sessions and API tokens end, and a
    link to choose a new one is e-mailed (through the outbox)."""
    settings = get_settings()
    passwords.force_password_reset(
        uow=uow(),
        who=OPERATOR,
        email=email,
        public_url=settings.public_url,
        minutes=settings.password_reset_minutes,
    )
    if as_json:
        print_json({"email": email.strip().lower(), "reset": True})
    else:
        console.print(
            f"The password of [bold]{email.strip().lower()}[/] no longer works; a reset link "
            "was e-mailed."
        )


@app.command("tokens")
def tokens(
    email: Annotated[str, typer.Argument(help="Whose tokens")],
    as_json: Json = False,
) -> None:
    """List a user's API tokens: names and dates, never the secrets."""
    found = api_tokens.list_api_tokens(uow=uow(read_only=True), who=OPERATOR, email=email)
    now = utcnow()
    if as_json:
        print_json({"email": email.strip().lower(), "tokens": [_row(t, now) for t in found]})
        return
    table = Table("Id", "Name", "State", "Made", "Last used", "Expires")
    for token in found:
        row = _row(token, now)
        table.add_row(
            str(token.id),
            token.name,
            row["state"],
            f"{token.created_at:%Y-%m-%d}",
            f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never",
            f"{token.expires_at:%Y-%m-%d}",
        )
    console.print(table if found else f"{email} has no API tokens.")


@app.command("revoke-token")
def revoke_token(
    email: Annotated[str, typer.Argument(help="Whose token (a guard against a mistyped id)")],
    token_id: Annotated[int, typer.Argument(help="The token's id (skillcard user tokens)")],
    as_json: Json = False,
) -> None:
    """Revoke an API token: every server refuses it from the next request."""
    token = api_tokens.revoke_api_token(uow=uow(), who=OPERATOR, token_id=token_id, email=email)
    if as_json:
        print_json(_row(token, utcnow()))
    else:
        console.print(f"Token {token.id} ({token.name}) of {token.user_email} is revoked.")


def _row(token: ApiToken, now) -> dict:
    return {**vars(token), "state": token.state_on(now)}
