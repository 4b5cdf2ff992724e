"""Repositories of Business Check: businesses, users, workforce, checks, jobs, alerts.

They never commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, registry


def map_classes(mapper_registry: registry) -> None:
    """Map this area's domain classes onto its tables (called once, from mapping.py)."""


def attach(uow, session: Session) -> None:
    """Give a unit of work this area's repositories (called on entering it)."""
