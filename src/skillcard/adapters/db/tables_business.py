"""Tables of Business Check: businesses, users, workforce, checks, bulk jobs, alerts.

On the one schema's metadata (see tables.py); migrations are written to match.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401

from skillcard.adapters.db.tables import _enum, _id, metadata  # noqa: F401
