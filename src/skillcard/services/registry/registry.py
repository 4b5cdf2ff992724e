"""Reading the registry's reference: schemes, card types, occupations, qualifications."""

from __future__ import annotations

from skillcard.domain.people import RecognisedInstitute
from skillcard.domain.schemes import CardType, Occupation, Qualification, Scheme
from skillcard.errors import NotFound
from skillcard.services.unit_of_work import AbstractUnitOfWork


def scheme_named(uow: AbstractUnitOfWork, code: str) -> Scheme:
    """The scheme with this code, inside the caller's unit of work, or NotFound."""
    scheme = uow.schemes.by_code(code)
    if scheme is None:
        raise NotFound(f"there is no scheme with the code {code!r}")
    return scheme


def list_schemes(*, uow: AbstractUnitOfWork) -> list[Scheme]:
    with uow:
        return uow.schemes.list()


def get_scheme(*, uow: AbstractUnitOfWork, code: str) -> Scheme:
    with uow:
        return scheme_named(uow, code)


def card_types_of(*, uow: AbstractUnitOfWork, scheme_code: str) -> list[CardType]:
    with uow:
        scheme = scheme_named(uow, scheme_code)
        return uow.card_types.for_scheme(scheme.id)


def occupations_of(*, uow: AbstractUnitOfWork, scheme_code: str) -> list[Occupation]:
    with uow:
        scheme = scheme_named(uow, scheme_code)
        return uow.occupations.for_scheme(scheme.id)


def qualifications(*, uow: AbstractUnitOfWork) -> list[Qualification]:
    with uow:
        return uow.reference.qualifications()


def institutes(*, uow: AbstractUnitOfWork) -> list[RecognisedInstitute]:
    with uow:
        return uow.reference.institutes()
