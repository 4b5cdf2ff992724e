"""Reference data (schemes, card types, occupations, qualifications, recognised institutes):
read strictly from the editable CSV files in ``skillcard/data/`` and installed idempotently.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from skillcard.domain.accounts import Principal, Role
from skillcard.domain.card_numbers import CardNumberFormat
from skillcard.domain.people import RecognisedInstitute
from skillcard.domain.schemes import CardCategory, CardType, Occupation, Qualification, Scheme
from skillcard.errors import Conflict, ReferenceDataError
from skillcard.services.audit.audit import record
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

DATA_DIRECTORY = Path(__file__).resolve().parents[2] / "data"

_CODE = re.compile(r"[A-Z0-9][A-Z0-9_]*")
_TAG = re.compile(r"[a-z0-9][a-z0-9_]*")
_NOTES = "notes"  # an optional column of free text for the people editing a file; never loaded


@dataclass(frozen=True)
class OccupationRow:
    scheme: str  # scheme code
    code: str
    title: str
    card_type: str  # card type code within the scheme
    sample: bool = False


@dataclass
class ReferenceData:
    schemes: list[Scheme] = field(default_factory=list)
    card_types: list[tuple[str, CardType]] = field(default_factory=list)  # scheme_id is 0
    occupations: list[OccupationRow] = field(default_factory=list)
    qualifications: list[Qualification] = field(default_factory=list)
    institutes: list[RecognisedInstitute] = field(default_factory=list)


# Column parsers: each turns a stripped cell into a value or raises ValueError(reason).
Parser = Callable[[str, str], Any]


def _text(
    max_length: int, *, required: bool = False, pattern: re.Pattern[str] | None = None
) -> Parser:
    def parse(column: str, value: str) -> str:
        if required and not value:
            raise ValueError(f"column '{column}' must not be empty")
        if len(value) > max_length:
            raise ValueError(f"column '{column}' is longer than {max_length} characters")
        if pattern and not pattern.fullmatch(value):
            raise ValueError(
                f"column '{column}' must be capital letters, digits and underscores, not {value!r}"
            )
        return value

    return parse


def _whole(unit: str, minimum: int = 0) -> Parser:
    def parse(column: str, value: str) -> int:
        if not value.isdigit():  # refuses signs, decimals and blanks alike
            raise ValueError(f"column '{column}' must be a whole number of {unit}, not {value!r}")
        if int(value) < minimum:
            raise ValueError(f"column '{column}' must be at least {minimum}")
        return int(value)

    return parse


def _flag(column: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError(f"column '{column}' must be true or false, not {value!r}")
    return value.lower() == "true"


def _category(column: str, value: str) -> CardCategory:
    allowed = [c.value for c in CardCategory]
    if value not in allowed:
        raise ValueError(f"{column} must be one of {', '.join(allowed)}, not {value!r}")
    return CardCategory(value)


def _split(column: str, value: str) -> tuple[str, ...]:
    """A ``|``-separated list; tags are also checked to be lower-case words."""
    items = tuple(item.strip() for item in value.split("|") if item.strip())
    for item in items if column == "tags" else ():
        if not _TAG.fullmatch(item):
            raise ValueError(f"tag {item!r} must be small letters, digits and underscores")
    return items


def _regex(column: str, value: str) -> str:
    try:
        re.compile(_text(200, required=True)(column, value))
    except re.error as error:
        raise ValueError(f"{column} is not a valid regular expression: {error}") from None
    return value


# Each file's columns, in the order the shipped files use; a column parses the same way in
# every file unless the file says otherwise.
_PARSERS: dict[str, Parser] = {
    "code": _text(60, required=True, pattern=_CODE),
    "scheme": _text(20, required=True),
    "name": _text(200, required=True),
    "title": _text(200, required=True),
    "card_type": _text(60, required=True, pattern=_CODE),
    "category": _category,
    "number_prefix": _text(6, required=True),
    "number_digits": _whole("digits"),
    "validity_months": _whole("months", minimum=1),
    "cpd_target_hours": _whole("hours"),
    "renewable": _flag,
    "sample": _flag,
    "tags": _split,
    "qualifying_grades": _split,
    "membership_pattern": _regex,
    "source": _text(4000),
}


def _file(columns: str, **overrides: Parser) -> dict[str, Parser]:
    """Each column's parser (``columns`` space-separated): by its name unless overridden."""
    return {c: overrides.get(c) or _PARSERS.get(c) or _text(300) for c in columns.split()}


_COLUMNS: dict[str, dict[str, Parser]] = {
    "schemes.csv": _file(
        "code name operator trade website number_prefix number_digits sample source",
        code=_text(20, required=True),  # a scheme's own name for itself, in any case
    ),
    "card_types.csv": _file(
        "scheme code title category colour validity_months cpd_target_hours renewable sample"
        " source",
        colour=_text(100),
    ),
    "occupations.csv": _file("scheme code title card_type sample"),
    "qualifications.csv": _file(
        "code title level awarding_body tags sample", level=_text(40), awarding_body=_text(200)
    ),
    "institutes.csv": _file(
        "code name membership_pattern qualifying_grades recognised_for sample source",
        code=_text(20, required=True, pattern=_CODE),
        recognised_for=_text(100),
    ),
}


def _records(directory: Path, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, parsed values) of each non-empty record, after checking encoding and header."""
    try:
        raw = (directory / name).read_bytes()
    except FileNotFoundError:
        raise ReferenceDataError(name, 0, f"the file is missing from {directory}") from None
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's byte-order mark is harmless
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        reason = f"the file is not UTF-8 (byte 0x{raw[error.start]:02x}); save it as UTF-8"
        raise ReferenceDataError(name, line, reason) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns = _COLUMNS[name]
    header = _header(name, next(reader, None), columns)
    last_line = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            reason = f"the line is not valid CSV: {error}"
            raise ReferenceDataError(name, reader.line_num, reason) from None
        line, last_line = last_line + 1, reader.line_num  # a quoted field may span lines
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            reason = f"expected {len(header)} fields as in the header, found {len(cells)}"
            raise ReferenceDataError(name, line, reason)
        try:
            values = {
                column: columns[column](column, value.strip())
                for column, value in zip(header, cells, strict=True)
                if column != _NOTES
            }
        except ValueError as error:
            raise ReferenceDataError(name, line, str(error)) from None
        yield line, values


def _header(name: str, row: list[str] | None, columns: dict[str, Parser]) -> list[str]:
    if row is None:
        raise ReferenceDataError(name, 1, "the file is empty: it needs a header row")
    header = [column.strip() for column in row]
    for column in header:
        if column not in columns and column != _NOTES:
            expected = ", ".join(columns)
            raise ReferenceDataError(name, 1, f"unknown column '{column}' (expected: {expected})")
        if header.count(column) > 1:
            raise ReferenceDataError(name, 1, f"column '{column}' appears twice")
    for column in columns:
        if column not in header:
            raise ReferenceDataError(name, 1, f"missing column '{column}'")
    return header


def _first(seen: dict[Any, int], key: Any, name: str, line: int, what: str) -> None:
    if key in seen:
        raise ReferenceDataError(name, line, f"duplicate {what} (first on line {seen[key]})")
    seen[key] = line


def _read_schemes(directory: Path) -> list[Scheme]:
    name, schemes = "schemes.csv", []
    codes: dict[str, int] = {}
    prefixes: dict[str, int] = {}
    for line, v in _records(directory, name):
        _first(codes, v["code"].upper(), name, line, f"scheme code '{v['code']}'")
        _check_prefix(v["number_prefix"], v["number_digits"], prefixes, name, line)
        schemes.append(Scheme(**v))
    return schemes


def _check_prefix(prefix: str, digits: int, prefixes: dict[str, Any], name: str, line: int) -> None:
    """Each prefix must lead to one scheme: no repeats, and none the start of another."""
    try:
        CardNumberFormat(prefix, digits)
    except ValueError as error:
        raise ReferenceDataError(name, line, str(error)) from None
    for other, other_line in prefixes.items():
        if other == prefix:
            reason = f"number_prefix '{prefix}' is already used on line {other_line}"
        elif other.startswith(prefix):
            reason = f"number_prefix '{prefix}' is the start of '{other}' on line {other_line}"
        elif prefix.startswith(other):
            reason = f"number_prefix '{prefix}' starts with '{other}', used on line {other_line}"
        else:
            continue
        raise ReferenceDataError(name, line, reason)
    prefixes[prefix] = line


def _scheme_of(value: str, schemes: dict[str, str], name: str, line: int) -> str:
    if value.upper() not in schemes:
        raise ReferenceDataError(name, line, f"unknown scheme '{value}'")
    return schemes[value.upper()]


def _read_card_types(directory: Path, schemes: dict[str, str]) -> list[tuple[str, CardType]]:
    name, card_types = "card_types.csv", []
    seen: dict[tuple[str, str], int] = {}
    for line, v in _records(directory, name):
        scheme = _scheme_of(v.pop("scheme"), schemes, name, line)
        what = f"card type code '{v['code']}' for scheme {scheme}"
        _first(seen, (scheme, v["code"]), name, line, what)
        card_types.append((scheme, CardType(scheme_id=0, **v)))
    return card_types


def _read_occupations(
    directory: Path, schemes: dict[str, str], card_types: set[tuple[str, str]]
) -> list[OccupationRow]:
    name, occupations = "occupations.csv", []
    seen: dict[tuple[str, str], int] = {}
    for line, v in _records(directory, name):
        scheme = v["scheme"] = _scheme_of(v["scheme"], schemes, name, line)
        what = f"occupation code '{v['code']}' for scheme {scheme}"
        _first(seen, (scheme, v["code"]), name, line, what)
        if (scheme, v["card_type"]) not in card_types:
            reason = f"unknown card type '{v['card_type']}' for scheme {scheme}"
            raise ReferenceDataError(name, line, reason)
        occupations.append(OccupationRow(**v))
    return occupations


def _read_by_code(directory: Path, name: str, make: Callable[..., Any], what: str) -> list[Any]:
    things: list[Any] = []
    seen: dict[str, int] = {}
    for line, v in _records(directory, name):
        _first(seen, v["code"], name, line, f"{what} code '{v['code']}'")
        things.append(make(**v))
    return things


def read_reference_data(directory: Path | None = None) -> ReferenceData:
    """Read and check every reference file; raise ReferenceDataError at the first problem."""
    directory = Path(directory) if directory is not None else DATA_DIRECTORY
    schemes = _read_schemes(directory)
    codes = {s.code.upper(): s.code for s in schemes}
    card_types = _read_card_types(directory, codes)
    known_types = {(scheme, ct.code) for scheme, ct in card_types}
    return ReferenceData(
        schemes=schemes,
        card_types=card_types,
        occupations=_read_occupations(directory, codes, known_types),
        qualifications=_read_by_code(
            directory, "qualifications.csv", Qualification, "qualification"
        ),
        institutes=_read_by_code(directory, "institutes.csv", RecognisedInstitute, "institute"),
    )


_SCHEME_FIELDS = ("name", "operator", "trade", "website", "sample", "source")
_NUMBERING = ("number_prefix", "number_digits")
_CARD_TYPE_FIELDS: tuple[str, ...] = (
    "title",
    "category",
    "colour",
    "validity_months",
    "cpd_target_hours",
)
_CARD_TYPE_FIELDS += ("renewable", "sample", "source")


def _values(thing: Any, **changes: Any) -> dict[str, Any]:
    # Read from __dict__: between start_mappers() and the ORM's first query, an instance made
    # before mapping cannot be read through its (not yet configured) mapped attributes.
    return {f.name: thing.__dict__[f.name] for f in fields(thing)} | changes


def _upsert(
    counts: dict[str, int],
    kind: str,
    stored: Any,
    make: Callable[..., Any],
    wanted: dict[str, Any],
    names: tuple[str, ...],
    add: Callable[[Any], None],
) -> Any:
    """Add ``make(**wanted)`` if nothing is stored, else copy the ``names`` fields onto it."""
    if stored is None:
        stored = make(**wanted)
        add(stored)
        counts[f"{kind}_inserted"] += 1
        return stored
    changed = [name for name in names if getattr(stored, name) != wanted[name]]
    for name in changed:
        setattr(stored, name, wanted[name])
    counts[f"{kind}_updated"] += bool(changed)
    return stored


def _install_registry(uow: AbstractUnitOfWork, data: ReferenceData, counts: dict[str, int]) -> None:
    schemes: dict[str, Scheme] = {}
    for scheme in data.schemes:
        wanted = _values(scheme, id=None)
        stored = uow.schemes.by_code(wanted["code"])
        renumbered = stored and any(getattr(stored, f) != wanted[f] for f in _NUMBERING)
        if stored and renumbered and uow.cards.search(scheme_id=stored.id, limit=1):
            # Issued numbers carry the old prefix: changing it would orphan every one of them.
            raise Conflict(f"scheme {stored.code} already has cards, so its number format is fixed")
        names: tuple[str, ...] = _SCHEME_FIELDS + _NUMBERING
        schemes[wanted["code"]] = _upsert(
            counts, "schemes", stored, Scheme, wanted, names, uow.schemes.add
        )
    for scheme_code, card_type in data.card_types:
        wanted = _values(card_type, scheme_id=schemes[scheme_code].id, id=None)
        stored_type = uow.card_types.by_code(wanted["scheme_id"], wanted["code"])
        add = uow.card_types.add
        _upsert(counts, "card_types", stored_type, CardType, wanted, _CARD_TYPE_FIELDS, add)
    for row in data.occupations:
        scheme_id = schemes[row.scheme].id
        card_type = on_record(
            uow.card_types.by_code(scheme_id, row.card_type), f"card type {row.card_type}"
        )
        wanted = dict(
            scheme_id=scheme_id, code=row.code, title=row.title, card_type_id=card_type.id
        )
        stored_occupation = uow.occupations.by_code(scheme_id, row.code)
        names = ("title", "card_type_id")
        _upsert(
            counts, "occupations", stored_occupation, Occupation, wanted, names, uow.occupations.add
        )


def _install_reference(
    uow: AbstractUnitOfWork, data: ReferenceData, counts: dict[str, int]
) -> None:
    ref = uow.reference
    for qualification in data.qualifications:
        stored = ref.qualification(qualification.code)
        _insert_only(counts, "qualifications", stored, qualification, ref.add_qualification)
    institutes = {i.code: i for i in ref.institutes()}
    for institute in data.institutes:
        _insert_only(
            counts, "institutes", institutes.get(institute.code), institute, ref.add_institute
        )


def _insert_only(
    counts: dict[str, int], kind: str, stored: Any, wanted: Any, add: Callable[[Any], None]
) -> None:
    # The repository can add these rows but not change them: one that differs is only counted.
    if stored is None:
        add(wanted)
        counts[f"{kind}_inserted"] += 1
    elif stored != wanted:
        counts[f"{kind}_not_updated"] += 1


def install_reference_data(
    uow: AbstractUnitOfWork, data: ReferenceData, *, actor: str = "cli"
) -> dict[str, int]:
    """Insert what is missing; update schemes, card types and occupations matched by code.

    Qualifications and institutes already stored are left as they are (the repository has no
    update); ``*_not_updated`` counts those that differ from ``data``. Writes one audit event
    when anything changed. Does not commit: the caller does.
    """
    kinds = ("schemes", "card_types", "occupations", "qualifications", "institutes")
    counts = {f"{kind}_{what}": 0 for kind in kinds for what in ("inserted", "updated")}
    counts |= {"qualifications_not_updated": 0, "institutes_not_updated": 0}
    _install_registry(uow, data, counts)
    _install_reference(uow, data, counts)
    changes = {k: n for k, n in counts.items() if n and not k.endswith("_not_updated")}
    if changes:
        who = Principal(label=actor, role=Role.HUB_ADMIN)
        record(uow, who, "reference.install", "reference_data", "all", detail=changes)
    return counts
