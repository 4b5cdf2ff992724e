"""Demo data for the HSE assessment, loaded by ``skillcard demo`` after the named people."""

from __future__ import annotations

from collections.abc import Callable

from skillcard.adapters.item_bank_csv import demo_items
from skillcard.adapters.photos import PhotoStore
from skillcard.domain.accounts import Principal
from skillcard.services.hse.hse_bank import import_items
from skillcard.services.unit_of_work import AbstractUnitOfWork


def load(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    holder_ids: dict[str, int],
    store: PhotoStore,
) -> None:
    """``holder_ids`` maps the demo people's given names (Ann, ...) to their cardholder ids.

    The original demo bank (data/hse_bank.csv) goes live, so Ann can sit the assessment."""
    import_items(
        uow=uow_factory(), who=Principal.operator(), items=demo_items(), source="demo bank"
    )
