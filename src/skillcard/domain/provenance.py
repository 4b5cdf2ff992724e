"""Where a card came from, and how a source is named.

A card records each thing that led to it: the HSE assessment that qualified its holder, the
test centre that sat the test, the training provider, the import that loaded it. When one of
those turns out to be fraudulent, a scheme revokes every card that came through it at once;
so a source has to be named the same way every time it is recorded and every time it is
looked for: its kind, and a reference (a centre's code) folded to one spelling.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from skillcard.errors import InvalidInput

MAX_REFERENCE = 60
MAX_NAME = 200
SAMPLE_SIZE = 20  # holders a preview names: enough to recognise the source, not a full list

_REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9 ._/:#-]*$")


class SourceKind(enum.StrEnum):
    ASSESSMENT = "assessment"  # an HSE attempt or a test-centre result entered by an admin
    TEST_CENTRE = "test_centre"
    TRAINING_PROVIDER = "training_provider"
    IMPORT = "import"  # a load from a scheme's own card system


def source_kind(text: str) -> SourceKind:
    """The kind a person or program typed, or a clear refusal naming the kinds there are."""
    try:
        return SourceKind((text or "").strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in SourceKind)
        raise InvalidInput(f"a card's source is one of: {kinds}", field="kind") from None


def source_reference(text: str) -> str:
    """A source's reference in its one spelling: spaces collapsed, upper case ("tc-0042 " and
    "TC-0042" are one centre)."""
    reference = " ".join((text or "").split()).upper()
    if not reference:
        raise InvalidInput("a source needs a reference, such as a test centre's code", field="ref")
    if len(reference) > MAX_REFERENCE or not _REFERENCE.match(reference):
        raise InvalidInput(
            f"a source reference is at most {MAX_REFERENCE} letters, digits, spaces "
            "and . _ / : # -",
            field="ref",
        )
    return reference


@dataclass(frozen=True)
class Source:
    """One thing a card came through: its kind, reference and the name people know it by."""

    kind: SourceKind
    reference: str
    name: str = ""

    @classmethod
    def of(cls, kind: str, reference: str, name: str = "") -> Source:
        name = " ".join((name or "").split())
        if len(name) > MAX_NAME:
            raise InvalidInput(f"a source's name is at most {MAX_NAME} characters", field="name")
        return cls(source_kind(kind), source_reference(reference), name)

    @property
    def label(self) -> str:
        return f"{self.kind.value} {self.reference}" + (f" ({self.name})" if self.name else "")


def hse_source(*, attempt_id: int | None, record_id: int, passed_on: str) -> Source:
    """The HSE pass that qualified a holder: the online attempt when there was one, else the
    admin's entry of a test-centre result."""
    if attempt_id is not None:
        return Source(SourceKind.ASSESSMENT, f"HSE-ATTEMPT-{attempt_id}", f"HSE test {passed_on}")
    return Source(
        SourceKind.ASSESSMENT, f"HSE-ENTRY-{record_id}", f"HSE test-centre result {passed_on}"
    )


def import_source(import_id: str, filename: str) -> Source:
    """The scheme's import that created a card (revocable by it like any other source)."""
    name = " ".join(f"import of {filename}".split())[:MAX_NAME]
    return Source(SourceKind.IMPORT, f"IMPORT-{import_id}".upper(), name)


def numbers_digest(numbers: Iterable[str]) -> str:
    """SHA-256 of the sorted card numbers, one a line: the audit event of a mass revocation
    names its cards by this, so the list can be proved later without 50,000 numbers in it."""
    text = "\n".join(sorted(numbers))
    return hashlib.sha256(text.encode()).hexdigest()
