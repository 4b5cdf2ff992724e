"""Rendering pages with Jinja2: one base layout that every page extends."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).parent.parent / "templates"


@lru_cache
def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=TEMPLATES)
    found.env.filters["long_date"] = lambda day: f"{day:%-d %B %Y}" if day else ""
    return found


def render(request: Request, name: str, context: dict | None = None, status: int = 200):
    context = {"who": None, "csrf_token": "", **(context or {})}
    return templates().TemplateResponse(request, name, context, status_code=status)
