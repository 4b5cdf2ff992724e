"""Reading a scheme's file of card records as a stream: NDJSON (one JSON object a line) or
CSV with the documented header (docs/connector.md), UTF-8 with or without a BOM.

Memory stays flat: the file is read a line (a CSV record) at a time, however large. Whole-file
problems raise InvalidInput and the file is refused as a whole: not text, an unknown or
incomplete CSV header, and a file cut short (it does not end with a line break, or a CSV
quote is never closed: an upload cut mid-way). A bad line of an otherwise good file (not a
JSON object, a CSV row with the wrong number of cells) is handed out with its error, for the
import to refuse that row and say why.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from skillcard.domain.card_records import FIELDS, REQUIRED
from skillcard.errors import InvalidInput

FORMATS = ("csv", "ndjson")
MAX_LINE = 64 * 1024  # a record is a few hundred bytes: a longer line is not a record
TRUNCATED = (
    "the file is cut short: its last line does not end with a line break (an upload cut "
    "mid-way?). Nothing was applied: send the whole file again"
)


@dataclass(frozen=True, slots=True)
class RawRow:
    line: int  # the row's line in the file (the CSV header is line 1)
    values: dict[str, object]
    error: str = ""


def format_of(filename: str, first: bytes) -> str:
    """``ndjson`` or ``csv``, from the name, else from the first byte (``{`` is JSON)."""
    name = (filename or "").lower()
    if name.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    if name.endswith(".csv"):
        return "csv"
    return "ndjson" if first.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"{") else "csv"


def check_whole(path: Path) -> None:
    """Refuse a file that is empty, or whose last byte is not a line break (cut short)."""
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput("the file is empty: it needs a record per card")
    with path.open("rb") as raw:
        raw.seek(size - 1)
        if raw.read(1) != b"\n":
            raise InvalidInput(TRUNCATED)


def read_rows(path: Path, fmt: str) -> Iterator[RawRow]:
    """Every row of the file, in order (empty lines skipped)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"the format is one of {', '.join(FORMATS)}")
    check_whole(path)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        try:
            yield from (_csv_rows(text) if fmt == "csv" else _ndjson_rows(text))
        except UnicodeDecodeError:
            raise InvalidInput("the file is not UTF-8 text: save it as UTF-8") from None


def count_rows(path: Path, fmt: str) -> int:
    return sum(1 for _ in read_rows(path, fmt))


def _ndjson_rows(text: io.TextIOWrapper) -> Iterator[RawRow]:
    for line, content in enumerate(text, start=1):
        if not content.strip():
            continue
        if len(content) > MAX_LINE:
            yield RawRow(line, {}, f"the line is longer than {MAX_LINE:,} characters")
            continue
        try:
            values = json.loads(content)
        except ValueError:
            yield RawRow(line, {}, "the line is not a JSON object")
            continue
        if not isinstance(values, dict):
            yield RawRow(line, {}, "the line is not a JSON object")
            continue
        yield RawRow(line, values)


def _csv_rows(text: io.TextIOWrapper) -> Iterator[RawRow]:
    reader = csv.reader(text, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        missing = sorted(REQUIRED - set(header))
        unknown = [name for name in header if name not in FIELDS]
        if missing or unknown or len(set(header)) != len(header):
            raise InvalidInput(
                "the CSV header must name the fields of docs/connector.md: "
                + "; ".join(
                    part
                    for part in (
                        "missing " + ", ".join(missing) if missing else "",
                        "unknown " + ", ".join(u[:30] for u in unknown[:5]) if unknown else "",
                        "a column named twice" if len(set(header)) != len(header) else "",
                    )
                    if part
                )
            )
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                yield RawRow(line, {}, f"the row has {len(cells)} cells, the header {len(header)}")
                continue
            yield RawRow(line, dict(zip(header, cells, strict=True)))
    except csv.Error as error:
        if "end of data" in str(error) or "unexpected end" in str(error):
            raise InvalidInput(
                'a quote (") opens a cell that is never closed: the file is cut short or '
                "badly quoted. Nothing was applied"
            ) from None
        raise InvalidInput(f"line {reader.line_num:,}: the CSV cannot be read ({error})") from None
