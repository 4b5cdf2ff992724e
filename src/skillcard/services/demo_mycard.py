"""Demo data for MyCard, loaded by ``skillcard demo`` after the named people."""

from __future__ import annotations

from collections.abc import Callable

from skillcard.adapters.photos import PhotoStore
from skillcard.services.unit_of_work import AbstractUnitOfWork


def load(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    holder_ids: dict[str, int],
    store: PhotoStore,
) -> None:
    """``holder_ids`` maps the demo people's given names (Ann, ...) to their cardholder ids."""
