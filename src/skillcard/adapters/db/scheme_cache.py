"""The schemes, kept in memory for a few seconds per database.

Every check starts by finding the scheme from the card number's prefix. There are 38 schemes
and they change a few times a year, so reading them on every check was a round trip (and ORM
objects built) for nothing. Copies are handed out, so nothing a caller does to one reaches the
cache or a session; a number no cached prefix matches reloads at once, so a scheme added a
moment ago is found.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from skillcard.adapters.db import tables
from skillcard.domain.schemes import Scheme, longest_prefix_first, scheme_of_number

TTL_SECONDS = 30.0
_FIELDS = [f.name for f in dataclasses.fields(Scheme)]
_lock = threading.Lock()
_by_database: dict[str, tuple[float, tuple[Scheme, ...]]] = {}


def scheme_for_number(session: Session, number: str) -> Scheme | None:
    """The scheme whose prefix starts ``number`` (the longest, though none starts another)."""
    found = scheme_of_number(_schemes(session), number)
    if found is None:
        found = scheme_of_number(_schemes(session, reload=True), number)
    return _copy(found) if found is not None else None


def forget() -> None:
    """Drop every cached scheme (after a scheme is added or changed in this process)."""
    with _lock:
        _by_database.clear()


def _schemes(session: Session, reload: bool = False) -> tuple[Scheme, ...]:
    key = session.bind.url.render_as_string(hide_password=True)
    now = time.monotonic()
    cached = _by_database.get(key)
    if cached is not None and not reload and now - cached[0] < TTL_SECONDS:
        return cached[1]
    s = tables.schemes.c
    rows = session.execute(sa.select(*(s[name] for name in _FIELDS))).all()
    schemes = longest_prefix_first(Scheme(**row._asdict()) for row in rows)
    with _lock:
        _by_database[key] = (now, schemes)
    return schemes


def _copy(scheme: Scheme) -> Scheme:
    return Scheme(**{name: getattr(scheme, name) for name in _FIELDS})
