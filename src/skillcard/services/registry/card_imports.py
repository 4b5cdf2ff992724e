"""A scheme's file of card records, imported as a job: checked whole first, then applied in
batches, each batch committed with its per-row results and the import's progress.

What refuses the whole file (nothing is applied, every refused row says why): it cannot be
read as a whole (not UTF-8, a wrong CSV header, cut short), a row is of another scheme, or a
card number appears twice (which of the two is meant cannot be told). What refuses one row
(the rest are applied): a bad field (unknown card type, a bad date, a bad number), and, when
applied, a version older than the one on record or a change to a card revoked for good.

A job retried after its worker died checks the file again (the check writes only refused
rows, dropped first) or goes on after the last batch committed, so no row is applied twice;
applying one twice would change nothing anyway (the version rule). A snapshot then marks the
scheme's cards missing from the file revoked, with the reason ``missing from the scheme's
snapshot`` (a revocation is what a check must answer for a card the scheme no longer
lists, and it is in the signed status list at once); a dry run only counts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from skillcard.adapters import card_files
from skillcard.domain.accounts import Principal, can_send_cards, require
from skillcard.domain.card_records import Outcome, parse_record
from skillcard.domain.schemes import Scheme
from skillcard.errors import Conflict, InvalidInput, NotFound, SkillcardError
from skillcard.services.audit.audit import record as audit
from skillcard.services.audit.audit import utcnow
from skillcard.services.federation.change_feed import publish_card_changes
from skillcard.services.jobs import CARD_IMPORT, principal_args
from skillcard.services.ports.connector import CardImport, ImportRow
from skillcard.services.registry.card_records import apply_records
from skillcard.services.registry.import_run import ImportRun, Progress, UowFactory
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record


def scheme_for(uow: AbstractUnitOfWork, who: Principal, scheme_code: str) -> Scheme:
    """The scheme, if ``who`` may send its cards (403 otherwise, a connector of another
    scheme included). Inside the caller's ``with uow``."""
    scheme = scheme_named(uow, scheme_code)
    require(can_send_cards(who, scheme.id), f"send {scheme.code} card records")
    return scheme


def card_type_ids(uow: AbstractUnitOfWork, scheme: Scheme) -> dict[str, int]:
    return {t.code.upper(): t.id for t in uow.card_types.for_scheme(scheme.id)}


def open_import(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    import_id: str,
    filename: str,
    source: Path,
    snapshot: bool = False,
    dry_run: bool = False,
    queue: bool = True,
    now: dt.datetime | None = None,
) -> CardImport:
    """Open an import of ``source`` (kept by the caller under ``import_id``) and queue its job
    in the same transaction (unless the caller runs it itself: the command line). A file
    that cannot be read whole is refused here, 422."""
    now = now or utcnow()
    with source.open("rb") as raw:
        fmt = card_files.format_of(filename, raw.read(64))
    card_files.check_whole(source)
    with uow:
        scheme = scheme_for(uow, who, scheme_code)
        next(card_files.read_rows(source, fmt), None)  # a wrong header is refused now
        card_import = CardImport(
            id=import_id, scheme_id=scheme.id, created_by=who.label, created_at=now,
            filename=Path(filename or "upload").name[:200], format=fmt, snapshot=snapshot,
            dry_run=dry_run, total_rows=_lines(source, fmt),
        )  # fmt: skip
        uow.card_imports.add(card_import)
        audit(uow, who, "import.start", "card_import", import_id, now=now,
              detail={"scheme": scheme.code, "snapshot": snapshot, "dry_run": dry_run})  # fmt: skip
        if queue:
            uow.jobs.enqueue(CARD_IMPORT, {"import_id": import_id, "who": principal_args(who)})
        uow.commit()
    return card_import


def _lines(path: Path, fmt: str) -> int:
    """The rows to expect, for progress (a CSV cell with a line break counts twice: the
    check pass puts the true count in)."""
    with path.open("rb") as raw:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 20), b""))
    return max(0, lines - (1 if fmt == "csv" else 0))


def import_status(
    *, uow: AbstractUnitOfWork, who: Principal, scheme_code: str, import_id: str
) -> CardImport:
    """An import of the scheme (one of another scheme is as missing as none)."""
    with uow:
        scheme = scheme_for(uow, who, scheme_code)
        found = uow.card_imports.get(import_id)
        if found is None or found.scheme_id != scheme.id:
            raise NotFound(f"{scheme.code} has no import {import_id[:40]}")
        return found


def result_lines(
    *, uow: AbstractUnitOfWork, who: Principal, scheme_code: str, import_id: str
) -> Iterator[str]:
    """The import's per-row results as CSV lines (line, number, outcome, reason, card_id)."""
    import_status(uow=uow, who=who, scheme_code=scheme_code, import_id=import_id)
    yield "line,number,outcome,reason,card_id\r\n"
    with uow:
        for row in uow.card_imports.rows(import_id):
            reason = '"' + row.reason.replace('"', '""') + '"' if row.reason else ""
            number = row.number.replace('"', "").replace(",", "")
            card = "" if row.card_id is None else str(row.card_id)
            yield f"{row.line},{_safe(number)},{row.outcome},{_safe(reason)},{card}\r\n"


def _safe(cell: str) -> str:
    # A spreadsheet must never run a cell as a formula.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def run_import(
    *,
    uow_factory: UowFactory,
    who: Principal,
    import_id: str,
    source: Path,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> CardImport:
    """Run (or go on with) an import whose file is at ``source``; the import as it ended."""
    now = now or utcnow()
    with uow_factory() as uow:
        card_import = uow.card_imports.get(import_id)
        if card_import is None:
            raise NotFound(f"no import {import_id}")
        scheme = on_record(uow.schemes.get(card_import.scheme_id), "the import's scheme")
        require(can_send_cards(who, scheme.id), f"send {scheme.code} card records")
        types = card_type_ids(uow, scheme)
    if card_import.ended:
        return card_import
    run = ImportRun(uow_factory, who, scheme, types, card_import, source, progress, now)
    try:
        if card_import.status in ("queued", "checking") and not run.check():
            return run.current
        if card_import.dry_run:
            run.finish("done", missing=run.count_missing())
        else:
            run.apply()
            missing = run.mark_missing() if card_import.snapshot else None
            run.finish("done", missing=missing)
    except SkillcardError as problem:
        run.finish(
            "refused" if run.current.status == "checking" else "failed", message=problem.message
        )
    except Exception:
        run.finish("failed", message="the import failed unexpectedly: it can be sent again")
        raise
    return run.current


def put_card(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    scheme_code: str,
    number: str,
    values: dict[str, object],
    now: dt.datetime | None = None,
) -> ImportRow:
    """One card with its holder, upserted by the record rule (the PUT door): its outcome.
    A record refused for its version or a card revoked for good is a 409, saying why."""
    now = now or utcnow()
    with uow:
        scheme = scheme_for(uow, who, scheme_code)
        types = card_type_ids(uow, scheme)
        given = {"scheme": scheme.code, "number": number, **values}
        record = parse_record(given, scheme=scheme, card_types=types)
        if record.number != scheme.number_format.parse(number):
            raise InvalidInput(f"the record's number {record.number} is not the card {number}")
        applied = apply_records(uow, who, scheme, [(1, record)], types, now)
        (row,) = applied.rows
        if row.outcome == Outcome.REFUSED:
            raise Conflict(row.reason)
        publish_card_changes(uow, applied.feed, now)  # last: it holds the feed's turn
        uow.commit()
    return row


def recent_imports(
    *, uow: AbstractUnitOfWork, who: Principal, scheme_code: str
) -> tuple[Scheme, list[CardImport]]:
    """The scheme's latest imports, newest first (for its admins' page)."""
    with uow:
        scheme = scheme_for(uow, who, scheme_code)
        return scheme, uow.card_imports.recent(scheme.id)
