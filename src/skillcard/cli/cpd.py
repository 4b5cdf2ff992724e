"""``skillcard cpd``: export a holder's CPD record, and draw a scheme's yearly CPD audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from skillcard.cli.common import OPERATOR, console, print_json, uow
from skillcard.config import get_settings
from skillcard.errors import InvalidInput
from skillcard.services.mycard import cpd, cpd_audit
from skillcard.services.mycard.cpd_export import cpd_csv, cpd_pdf

app = typer.Typer(help="CPD records and audits.", no_args_is_help=True)
audit_app = typer.Typer(help="The yearly CPD audit of a scheme.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@app.command("export")
def export(
    holder: Annotated[int, typer.Argument(help="The cardholder's id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write (.pdf or .csv)")],
    fmt: Annotated[str | None, typer.Option("--format", help="pdf or csv (default: by -o)")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Year the progress counts")] = None,
) -> None:
    """Write a holder's CPD record as PDF or CSV (formula-safe)."""
    kind = (fmt or output.suffix.lstrip(".")).lower()
    if kind not in ("pdf", "csv"):
        raise InvalidInput("say --format pdf or --format csv (or name the file .pdf or .csv)")
    log = cpd.cpd_log(uow=uow(read_only=True), who=OPERATOR, cardholder_id=holder, year=year)
    if kind == "pdf":
        output.write_bytes(cpd_pdf(log))
    else:
        output.write_text(cpd_csv(log), encoding="utf-8", newline="")
    console.print(f"Wrote {len(log.entries)} activities of {log.holder_name} to {output}.")


@audit_app.command("sample")
def sample(
    scheme: Annotated[str, typer.Option("--scheme", help="The scheme's code")],
    year: Annotated[int, typer.Option("--year", help="The year audited")],
    share: Annotated[
        float, typer.Option("--share", help="Percent of holders sampled")
    ] = cpd_audit.DEFAULT_SHARE_PERCENT,
    seed: Annotated[int | None, typer.Option("--seed", help="Repeat a draw with its seed")] = None,
    as_json: Json = False,
) -> None:
    """Sample a share of the scheme's holders, once a year, from a stored seed."""
    result = cpd_audit.sample(
        uow=uow(),
        who=OPERATOR,
        scheme_code=scheme,
        year=year,
        share_percent=share,
        seed=seed,
        public_url=get_settings().public_url,
    )
    if as_json:
        print_json(result)
        return
    console.print(
        f"{result.scheme_code} {result.year}: sampled {len(result.cardholder_ids)} of "
        f"{result.population} holders ({result.share_percent:g}%), seed {result.seed}."
    )
