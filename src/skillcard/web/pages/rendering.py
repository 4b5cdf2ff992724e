"""Rendering pages with Jinja2: one base layout that every page extends."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from skillcard.domain import labels

TEMPLATES = Path(__file__).parent.parent / "templates"


@lru_cache
def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=TEMPLATES)
    # The words a person reads for dates, times and code words: one place (domain/labels.py).
    found.env.filters["long_date"] = labels.long_date
    found.env.filters["date_time"] = labels.date_time
    found.env.filters["short_date_time"] = labels.short_date_time
    found.env.filters["clock_time"] = labels.clock_time
    found.env.filters["label"] = lambda value, kind: labels.label(kind, value)
    return found


def render(request: Request, name: str, context: dict | None = None, status: int = 200):
    context = {"who": None, "csrf_token": "", **(context or {})}
    return templates().TemplateResponse(request, name, context, status_code=status)
