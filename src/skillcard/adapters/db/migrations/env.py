"""Alembic environment: runs on the connection skillcard hands it (see migrate.py)."""

from __future__ import annotations

from alembic import context

from skillcard.adapters.db.migrate import ours
from skillcard.adapters.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
    include_name=ours,
)
with context.begin_transaction():
    context.run_migrations()
    if connection.dialect.name == "sqlite":  # keys are off while tables are copied: migrate.py
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"the migration would leave rows pointing at nothing: {broken[:5]}")
