"""Which database a bind talks to: the one test for the places whose SQL differs."""

from __future__ import annotations

import sqlalchemy as sa


def is_postgresql(bind: sa.Engine | sa.Connection) -> bool:
    return bind.dialect.name == "postgresql"
