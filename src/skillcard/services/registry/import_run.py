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
from skillcard.domain.schemes import Scheme
from skillcard.errors import SkillcardError
from skillcard.services.audit.audit import record as audit
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import status_lists
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

    def check(self) -> bool:
        """The check pass: every row parsed, refused rows kept with why; the file refused
        whole (False) for a row of another scheme or a number given twice."""
        with self.uow_factory() as uow:
            uow.card_imports.drop_rows(self.current.id)  # a check cut short starts again
            self._save(uow, status="checking", checked_rows=0, refused=0)
            uow.commit()
        keys, rows, refused, other = array.array("Q"), 0, 0, 0
        for batch in _batches(self._rows()):
            bad = [
                ImportRow(p.line, p.raw_number, "refused", p.error, None) for p in batch if p.error
            ]
            keys.extend(number_key(p.record.number) for p in batch if p.record is not None)
            rows, refused = rows + len(batch), refused + len(bad)
            other += sum(1 for p in batch if p.other_scheme)
            with self.uow_factory() as uow:
                uow.card_imports.add_rows(self.current.id, bad)
                self._save(
                    uow,
                    checked_rows=rows,
                    refused=refused,
                    total_rows=max(rows, self.current.total_rows),
                )
                uow.commit()
            self._told()
        twice = self._given_twice(keys)
        reasons = []
        if other:
            reasons.append(f"{other:,} rows are of another scheme than {self.scheme.code}")
        if twice:
            reasons.append(f"{twice:,} rows give a card number another row gives too")
        with self.uow_factory() as uow:
            if reasons:
                self._save(
                    uow,
                    status="refused",
                    message=_refusal(reasons),
                    finished_at=utcnow(),
                    total_rows=rows,
                )
            else:
                self._save(uow, status="applying", total_rows=rows)
            uow.commit()
        self._told()
        return not reasons

    def _given_twice(self, keys: array.array[int]) -> int:
        """Refuse (as rows) every row whose number another row gives too; how many."""
        ordered = sorted(keys)
        doubled = {a for a, b in itertools.pairwise(ordered) if a == b}
        if not doubled:
            return 0
        lines: dict[str, list[int]] = {}
        for p in self._rows():
            if p.record is not None and number_key(p.record.number) in doubled:
                lines.setdefault(p.record.number, []).append(p.line)
        twice = {n: ls for n, ls in lines.items() if len(ls) > 1}
        rows = [
            ImportRow(line, number, "refused", _twice(number, ls), None)
            for number, ls in twice.items()
            for line in ls
        ]
        with self.uow_factory() as uow:
            uow.card_imports.add_rows(self.current.id, rows)
            self._save(uow, refused=self.current.refused + len(rows))
            uow.commit()
        return len(rows)

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
        with self.uow_factory() as uow:
            applied = apply_records(uow, self.who, self.scheme, records, self.types, self.now)
            uow.card_imports.add_rows(self.current.id, applied.rows)
            c = self.current
            self._save(
                uow,
                done_rows=c.done_rows + len(batch),
                created=c.created + applied.count(Outcome.CREATED),
                updated=c.updated + applied.count(Outcome.UPDATED),
                unchanged=c.unchanged + applied.count(Outcome.UNCHANGED),
                refused=c.refused + applied.count(Outcome.REFUSED),
            )
            # The change feed's pairs of this transaction: applied.feed (common_feed.md).
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
                changed = [_Revoked(i, self.scheme.id) for i in ids]
                status_lists.cards_changed(uow, changed, self.now)
                audit(uow, self.who, "card.import_missing", "card_import", self.current.id,
                      reason=reason, now=self.now, detail={"revoked": len(ids)})  # fmt: skip
                # The change feed's pairs: [(i, "status") for i in ids].
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


@dataclass(frozen=True)
class _Revoked:
    id: int
    scheme_id: int
    status: CardStatus = CardStatus.REVOKED


_COUNTS = ("created", "updated", "unchanged", "refused", "missing")


def _twice(number: str, lines: list[int]) -> str:
    return f"card {number} is on lines {', '.join(map(str, lines[:5]))}: one row per card"


def _refusal(reasons: list[str]) -> str:
    return (
        "the file is refused and nothing was applied: "
        + "; ".join(reasons)
        + (". The results say which rows, and why")
    )
