"""One run of a card import (see card_imports.py for the rules): the check pass, the apply
pass in batches, and a snapshot's missing cards.

Memory stays flat in the size of the file: rows are read and applied a batch at a time, and
the file's card numbers are kept only as 8-byte keys (a 64-bit BLAKE2b of the number) in one
array, to find a number given twice and a snapshot's missing cards; two numbers sharing a key
are told apart by reading the file again (a chance of about one in 10^19 per pair).
"""

from __future__ import annotations

import array
import bisect
import datetime as dt
import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from skillcard.adapters import card_files
from skillcard.adapters.db.bulk import MadeAhead
from skillcard.domain.accounts import Principal
from skillcard.domain.card_records import (
    SNAPSHOT_REASON,
    CardRecord,
    OtherScheme,
    Outcome,
    parse_record,
)
from skillcard.domain.cards import CardStatus
from skillcard.domain.provenance import import_source
from skillcard.domain.schemes import Scheme
from skillcard.errors import SkillcardError
from skillcard.services.audit.audit import record as audit
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import status_lists
from skillcard.services.federation.change_feed import publish_card_changes
from skillcard.services.ports.connector import CardImport, ImportRow
from skillcard.services.registry.card_records import apply_records
from skillcard.services.unit_of_work import AbstractUnitOfWork

BATCH = 5_000
UowFactory = Callable[..., AbstractUnitOfWork]
Progress = Callable[[CardImport], None]


@dataclass(frozen=True)
class Parsed:
    line: int
    record: CardRecord | None
    raw_number: str
    error: str = ""
    other_scheme: bool = False


def number_key(number: str) -> int:
    return int.from_bytes(hashlib.blake2b(number.encode(), digest_size=8).digest(), "big")


def parsed_rows(path: Path, fmt: str, scheme: Scheme, types: dict[str, int]) -> Iterator[Parsed]:
    """Every row of the file checked by the record rule (nothing read from the database)."""
    for raw in card_files.read_rows(path, fmt):
        number = str(raw.values.get("number") or "")[:40]
        if raw.error:
            yield Parsed(raw.line, None, number, raw.error)
            continue
        try:
            record = parse_record(raw.values, scheme=scheme, card_types=types)
        except OtherScheme as problem:
            yield Parsed(raw.line, None, number, problem.message, other_scheme=True)
        except SkillcardError as problem:
            yield Parsed(raw.line, None, number, problem.message)
        else:
            yield Parsed(raw.line, record, record.number)


def _batches(rows: Iterator[Parsed]) -> Iterator[list[Parsed]]:
    batch: list[Parsed] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class ImportRun:
    uow_factory: UowFactory
    who: Principal
    scheme: Scheme
    types: dict[str, int]
    current: CardImport
    source: Path
    progress: Progress | None
    now: dt.datetime

    def _rows(self) -> Iterator[Parsed]:
        return parsed_rows(self.source, self.current.format, self.scheme, self.types)

    def _save(self, uow: AbstractUnitOfWork, **values: Any) -> None:
        uow.card_imports.update(self.current.id, **values)
        self.current = replace(self.current, **values)

    def _told(self) -> None:
        if self.progress is not None:
            self.progress(self.current)

    def _light(self) -> Iterator[tuple[int, str, bool]]:
        """(line, card number normalised or "", of another scheme) of every row: what decides
        whether the file is refused whole, read without the rest of the record rule."""
        code, parse = self.scheme.code.upper(), self.scheme.number_format.parse
        for raw in card_files.read_rows(self.source, self.current.format):
            if raw.error:
                yield raw.line, "", False
                continue
            given = str(raw.values.get("scheme") or "").strip().upper()
            try:
                number = parse(str(raw.values.get("number") or ""))
            except SkillcardError:
                number = ""
            yield raw.line, number, bool(given) and given != code

    def check(self) -> bool:
        """The check pass: the file refused whole (False) for a row of another scheme or a
        number given twice, every refused row then kept with why. (A row refused on its own
        is kept by the apply pass.)"""
        with self.uow_factory() as uow:
            uow.card_imports.drop_rows(self.current.id)  # a check cut short starts again
            self._save(uow, status="checking", checked_rows=0, refused=0)
            uow.commit()
        keys: array.array[int] = array.array("Q")
        rows = other = 0
        for _line, number, is_other in self._light():
            rows, other = rows + 1, other + is_other
            if number:
                keys.append(number_key(number))
            if rows % BATCH == 0:
                self._checked(rows)
        self._checked(rows)
        ordered = sorted(keys)
        doubled = {a for a, b in itertools.pairwise(ordered) if a == b}
        twice = self._refuse_rows(doubled) if other or doubled else 0
        reasons = []
        if other:
            reasons.append(f"{other:,} rows are of another scheme than {self.scheme.code}")
        if twice:
            reasons.append(f"{twice:,} rows give a card number another row gives too")
        with self.uow_factory() as uow:
            if reasons:
                message, ended = _refusal(reasons), utcnow()
                self._save(uow, status="refused", message=message, finished_at=ended)
            else:
                self._save(uow, status="applying")
            uow.commit()
        self._told()
        return not reasons

    def _checked(self, rows: int) -> None:
        with self.uow_factory() as uow:
            total = max(rows, self.current.total_rows)
            self._save(uow, checked_rows=rows, total_rows=total)
            uow.commit()
        self._told()

    def _refuse_rows(self, doubled: set[int]) -> int:
        """A file refused whole: every row at fault kept with why (a number given twice, of
        another scheme, a bad field); how many rows give a number twice."""
        lines: dict[str, list[int]] = {}
        if doubled:
            for line, number, _other in self._light():
                if number and number_key(number) in doubled:
                    lines.setdefault(number, []).append(line)
        twice = {
            line: _twice(number, found)
            for number, found in lines.items()
            if len(found) > 1
            for line in found
        }
        refused = 0
        for batch in _batches(self._rows()):
            rows = [
                ImportRow(p.line, p.raw_number, "refused", twice.get(p.line) or p.error, None)
                for p in batch
                if p.line in twice or p.error
            ]
            refused += len(rows)
            with self.uow_factory() as uow:
                uow.card_imports.add_rows(self.current.id, rows)
                self._save(uow, refused=refused)
                uow.commit()
        return len(twice)

    def apply(self) -> None:
        """The apply pass, after the last batch a run before this one committed."""
        done = self.current.done_rows
        # The next batch is read and parsed in a thread while the database takes this one.
        with MadeAhead(_batches(self._rows())) as batches:
            for batch in batches:
                if done >= len(batch):
                    done -= len(batch)
                    continue
                batch, done = batch[done:], 0
                self._apply(batch)

    def _apply(self, batch: list[Parsed]) -> None:
        records = [(p.line, p.record) for p in batch if p.record is not None]
        bad = [ImportRow(p.line, p.raw_number, "refused", p.error, None) for p in batch if p.error]
        with self.uow_factory() as uow:
            applied = apply_records(uow, self.who, self.scheme, records, self.types, self.now)
            uow.card_imports.add_rows(self.current.id, [*applied.rows, *bad])
            c = self.current
            self._save(
                uow,
                done_rows=c.done_rows + len(batch),
                created=c.created + applied.count(Outcome.CREATED),
                updated=c.updated + applied.count(Outcome.UPDATED),
                unchanged=c.unchanged + applied.count(Outcome.UNCHANGED),
                refused=c.refused + applied.count(Outcome.REFUSED) + len(bad),
            )
            created = [card_id for card_id, kind in applied.feed if kind == "issued"]
            if created:  # where these cards came from: this import, revocable by it
                source = import_source(self.current.id, self.current.filename)
                uow.card_sources.add_many([(i, source) for i in created], utcnow())
            publish_card_changes(uow, applied.feed, utcnow())  # last: it holds the feed's turn
            uow.commit()
        self._told()

    def _missing(self, uow: AbstractUnitOfWork) -> list[int]:
        """Ids of the scheme's active or suspended cards whose number is not in the file."""
        numbers = (self._number_of(p) for p in self._rows())
        keys = array.array("Q", sorted(number_key(n) for n in numbers if n))
        found = set()

        for card_id, number in uow.card_records.listed_cards(self.scheme.id):
            key = number_key(number)
            at = bisect.bisect_left(keys, key)
            if at == len(keys) or keys[at] != key:
                found.add(card_id)
        return sorted(found)

    def _number_of(self, p: Parsed) -> str:
        """The row's card number, even for a row refused for another field: a card named
        in the snapshot is never missing from it."""
        if p.record is not None:
            return p.record.number
        try:
            return self.scheme.number_format.parse(p.raw_number)
        except SkillcardError:
            return ""

    def count_missing(self) -> int:
        with self.uow_factory(read_only=True) as uow:
            return len(self._missing(uow))

    def mark_missing(self) -> int:
        """Revoke the snapshot's missing cards, in batches (a retry finds those left)."""
        with self.uow_factory(read_only=True) as uow:
            missing = self._missing(uow)
        reason = f"{SNAPSHOT_REASON} of {self.now:%Y-%m-%d}"
        for start in range(0, len(missing), BATCH):
            ids = missing[start : start + BATCH]
            with self.uow_factory() as uow:
                uow.status_lists.space(self.scheme.id, lock=True)
                uow.card_records.revoke(ids, reason)
                revoked = [(i, CardStatus.REVOKED) for i in ids]
                status_lists.cards_changed(uow, self.scheme.id, revoked, self.now)
                audit(uow, self.who, "card.import_missing", "card_import", self.current.id,
                      reason=reason, now=self.now, detail={"revoked": len(ids)})  # fmt: skip
                publish_card_changes(
                    uow,
                    [(i, "status") for i in ids],
                    utcnow(),
                    details={i: {"action": "revoke", "reason": reason} for i in ids},
                )  # last: it holds the feed's turn
                uow.commit()
        return len(missing)

    def finish(self, status: str, *, missing: int | None = None, message: str = "") -> None:
        with self.uow_factory() as uow:
            values: dict[str, Any] = {"status": status, "finished_at": utcnow()}
            if missing is not None:
                values["missing"] = missing
            if message:
                values["message"] = message[:1000]
            self._save(uow, **values)
            counts = {k: getattr(self.current, k) for k in _COUNTS}
            audit(uow, self.who, f"import.{status}", "card_import", self.current.id, detail=counts)
            uow.commit()
        self._told()


_COUNTS = ("created", "updated", "unchanged", "refused", "missing")


def _twice(number: str, lines: list[int]) -> str:
    return f"card {number} is on lines {', '.join(map(str, lines[:5]))}: one row per card"


def _refusal(reasons: list[str]) -> str:
    return (
        "the file is refused and nothing was applied: "
        + "; ".join(reasons)
        + (". The results say which rows, and why")
    )
