"""The item bank as a CSV file: how the demo bank ships (``data/hse_bank.csv``).

Columns: code, version, status, topic, stem, option_a..option_d, key (A-D), explanation.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from skillcard.domain.assessment import OPTION_LETTERS, Item
from skillcard.errors import InvalidInput, ReferenceDataError

DEMO_BANK = "hse_bank.csv"
DATA_DIRECTORY = Path(__file__).resolve().parent.parent / "data"


def read_items(text: str, *, file: str = DEMO_BANK) -> list[Item]:
    items = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            options = [row[f"option_{c}"] for c in "abcdefgh" if row.get(f"option_{c}")]
            key = row["key"].strip().upper()
            if len(key) != 1 or key not in OPTION_LETTERS[: len(options)]:
                raise InvalidInput(f"the key {key!r} is not one of the options")
            items.append(
                Item(
                    code=row["code"],
                    version=int(row.get("version") or 1),
                    topic=row["topic"].strip(),
                    stem=row["stem"],
                    options=options,
                    key=OPTION_LETTERS.index(key),
                    explanation=row.get("explanation", "").strip(),
                    status=(row.get("status") or "live").strip(),
                )
            )
        except (InvalidInput, KeyError, ValueError) as error:
            reason = error.message if isinstance(error, InvalidInput) else f"bad column {error}"
            raise ReferenceDataError(file, line, reason) from None
    return items


def demo_items() -> list[Item]:
    """The original demo bank written for skillcard (at least 10 items on each topic)."""
    text = (DATA_DIRECTORY / DEMO_BANK).read_text(encoding="utf-8")
    return read_items(text)
