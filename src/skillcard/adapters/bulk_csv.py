"""Reading a bulk-check CSV as a stream, whatever a spreadsheet saved, and writing the result.

A first pass over the bytes (line by line: memory stays flat) says whether the file is text
at all and which encoding it is in (UTF-8, with or without BOM, else Windows-1252, which
covers Latin-1); a second counts its records with the csv reader (a quoted cell may hold line
breaks), refusing a file with more rows than allowed, with only a header, or that the reader
gives up on (a cell never closed, a cell past its size limit), naming the line. The third
pass hands out rows one at a time. Every value written goes through ``neutralise`` so that a
spreadsheet never runs a cell as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from skillcard.domain.business import neutralise
from skillcard.errors import InvalidInput

MAX_ROWS = 50_000
MAX_VALUE = 100
DELIMITERS = (",", ";", "\t")
HEADERS = {
    "number": {"number", "card number", "card_number", "cardnumber", "card no", "card"},
    "surname": {"surname", "last name", "last_name", "lastname", "family name", "family_name"},
    "scheme": {"scheme", "scheme code", "scheme_code"},
    "label": {"label", "name", "worker", "reference", "ref"},
}
POSITIONS = ("number", "surname", "scheme", "label")  # the order of a file with no header
EMPTY = "the file is empty: it needs a row per card (number, surname)"


@dataclass(frozen=True)
class CsvShape:
    encoding: str
    delimiter: str
    rows: int  # data rows (not the header, not empty lines)
    columns: dict[str, int]  # our field -> its column
    header: bool
    ignored: tuple[str, ...] = ()  # header names we do not use


@dataclass(frozen=True)
class BulkRow:
    line: int  # the row's place in the file, counting the header, as a spreadsheet does
    # (a record: a quoted cell with line breaks is one row)
    number: str
    surname: str
    scheme: str
    label: str
    error: str = ""


def _looks_binary(line: bytes) -> bool:
    if b"\x00" in line:
        return True
    controls = sum(1 for b in line if b < 32 and b not in (9, 10, 13))
    return controls > max(2, len(line) // 20)


def _first_pass(path: Path) -> tuple[bool, bytes]:
    """(valid UTF-8, the first non-empty line); refuses binary files."""
    utf8, first = True, b""
    with path.open("rb") as raw:
        for line in raw:
            if _looks_binary(line):
                raise InvalidInput(
                    "this is not a CSV text file (it looks like a binary file, such as a "
                    "spreadsheet or a picture, renamed .csv): save it as CSV and use that file"
                )
            if not line.strip():
                continue
            first = first or line
            if utf8:
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    utf8 = False
    return utf8, first


def _reader(text, delimiter: str):
    # strict: a quote never closed is an error at the end of the file, not a last cell that
    # silently swallows every row after it
    return csv.reader(text, delimiter=delimiter, strict=True)


def unreadable(line: int, error: csv.Error) -> InvalidInput:
    """A CSV the csv reader gives up on, in words: which line, and what to do."""
    text = str(error)
    if "field limit" in text:
        why = (
            f"a cell is longer than {csv.field_size_limit():,} characters (often a quote "
            '(") that opens a cell and is never closed)'
        )
    elif "end of data" in text:
        why = 'a quote (") opens a cell that is never closed'
    else:
        why = f"the CSV cannot be read ({text})"
    return InvalidInput(
        f"line {line:,} of the file: {why}. Save the list again from your spreadsheet as CSV"
    )


def _records(path: Path, encoding: str, delimiter: str, max_rows: int) -> int:
    """Records that are not empty (a quoted cell may hold line breaks: a record is not a
    line), stopping as soon as there are more than allowed."""
    count = 0
    with path.open(encoding=encoding, errors="replace", newline="") as text:
        reader = _reader(text, delimiter)
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                count += 1
                if count > max_rows + 1:  # one record may be a header
                    raise InvalidInput(
                        f"the file has more than {max_rows:,} rows: a bulk check takes at "
                        f"most {max_rows:,}; split it into smaller files"
                    )
        except csv.Error as error:
            raise unreadable(reader.line_num, error) from None
    return count


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def inspect(path: Path, max_rows: int = MAX_ROWS) -> CsvShape:
    """How to read ``path``, or InvalidInput saying, in words, why it cannot be read."""
    utf8, first_bytes = _first_pass(path)
    if not first_bytes:
        raise InvalidInput(EMPTY)
    encoding = "utf-8-sig" if utf8 else "cp1252"
    first = first_bytes.decode(encoding, errors="replace").lstrip("\ufeff").strip("\r\n")
    delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","
    count = _records(path, encoding, delimiter, max_rows)
    if count == 0:
        raise InvalidInput(EMPTY)
    cells = [" ".join(c.split()).lower() for c in _split(first, delimiter)]
    named = {}
    for index, cell in enumerate(cells):
        for field, names in HEADERS.items():
            if cell in names and field not in named:
                named[field] = index
    if not named:  # no header: the columns are in the documented order
        if count > max_rows:
            raise InvalidInput(f"the file has more than {max_rows:,} rows")
        columns = {field: i for i, field in enumerate(POSITIONS)}
        return CsvShape(encoding, delimiter, count, columns, header=False)
    missing = [f for f in ("number", "surname") if f not in named]
    if missing:
        raise InvalidInput(
            f"the header row has no {' or '.join(missing)} column: name the columns "
            "number, surname and, if you like, scheme and label"
        )
    used = set(named.values())
    ignored = tuple(c for i, c in enumerate(cells) if i not in used and c)
    if count - 1 > max_rows:
        raise InvalidInput(f"the file has more than {max_rows:,} rows")
    if count == 1:
        raise InvalidInput(
            "the file has only its header row: it needs a row per card (number, surname) below it"
        )
    return CsvShape(encoding, delimiter, count - 1, named, header=True, ignored=ignored)


def read_rows(path: Path, shape: CsvShape) -> Iterator[BulkRow]:
    """The data rows, one at a time; a row's problem is its ``error``, not the file's."""
    with path.open(encoding=shape.encoding, errors="replace", newline="") as text:
        reader = _reader(text, shape.delimiter)
        skipped_header = not shape.header
        records = enumerate(reader, start=1)  # a spreadsheet's row: a record, not a line
        while True:
            try:
                row, cells = next(records)
            except StopIteration:
                return
            except csv.Error as error:  # changed since it was inspected
                raise unreadable(reader.line_num, error) from None
            if not any(c.strip() for c in cells):
                continue  # empty lines (and lines of empty cells) are not rows
            if not skipped_header:
                skipped_header = True
                continue
            yield _row(row, cells, shape.columns)


def _row(line: int, cells: list[str], columns: dict[str, int]) -> BulkRow:
    values = {}
    for field in POSITIONS:
        index = columns.get(field)
        value = cells[index] if index is not None and index < len(cells) else ""
        values[field] = " ".join(value.split())
    error = ""
    if not values["number"]:
        error = "the card number is missing"
    elif not values["surname"]:
        error = "the surname is missing"
    elif any(len(v) > MAX_VALUE for v in values.values()):
        error = f"a value is longer than {MAX_VALUE} characters"
    if error:  # do not echo an over-long value back
        values = {k: v[:MAX_VALUE] for k, v in values.items()}
    return BulkRow(line=line, error=error, **values)


RESULT_COLUMNS = (
    "row",
    "number",
    "surname",
    "scheme",
    "label",
    "outcome",
    "warning",
    "holder_name",
    "card_type",
    "expires_on",
    "error",
)


class ResultWriter:
    """The result CSV, one row at a time, every value neutralised against formulas."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")
        self._writer.writerow(RESULT_COLUMNS)

    def write(self, values: dict) -> None:
        self._writer.writerow([neutralise(values.get(column, "")) for column in RESULT_COLUMNS])


def write_csv(stream: io.TextIOBase, header: list[str], rows) -> None:
    """Any CSV the product writes (reports too): neutralised, Windows line ends for Excel."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])


@dataclass(frozen=True)
class RowsToLookAt:
    """One page of a result's rows that need a person: not valid, or not checked (an error)."""

    rows: list[dict]
    total: int  # such rows in the whole result
    start: int  # index of the first row shown, from 0


def rows_to_look_at(path: Path, *, start: int, count: int) -> RowsToLookAt:
    """Read the result CSV once, keeping only rows ``start`` to ``start + count`` of those
    with an error or an outcome other than valid: memory stays flat for any file size."""
    with path.open(newline="", encoding="utf-8-sig") as stream:  # written with a BOM for Excel
        return rows_to_look_at_in(stream, start=start, count=count)


def rows_to_look_at_in(stream: TextIO, *, start: int, count: int) -> RowsToLookAt:
    """:func:`rows_to_look_at` of a result already open as text (from the file store)."""
    shown, total = [], 0
    for values in csv.DictReader(stream):
        if not values.get("error") and values.get("outcome") == "valid":
            continue
        if start <= total < start + count:
            shown.append(values)
        total += 1
    return RowsToLookAt(rows=shown, total=total, start=start)
