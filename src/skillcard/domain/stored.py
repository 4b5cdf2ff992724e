"""The id of an entity not stored yet."""

from __future__ import annotations

from typing import Final, cast

UNSAVED: Final = cast(int, None)
"""An entity's ``id`` before it is stored: None at run time (the database gives the id), typed
as the ``int`` it becomes once a repository has added it (which flushes). The services read
ids only of what they read or added, so each read of an id needs no check for None."""
