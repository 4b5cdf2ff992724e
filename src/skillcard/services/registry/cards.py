"""Cards: issue, look up, and move through their lifecycle, each change audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from skillcard.domain.accounts import Principal, can_manage_scheme, can_view_card, require
from skillcard.domain.calendar import card_day
from skillcard.domain.card_numbers import normalise_card_number
from skillcard.domain.cards import Card, ReplacementReason
from skillcard.domain.names import surname_key
from skillcard.domain.provenance import Source
from skillcard.domain.schemes import Scheme
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.clock import card_today
from skillcard.services.credentials import status_lists
from skillcard.services.federation.change_feed import publish_card_changes
from skillcard.services.registry.card_history import standing
from skillcard.services.registry.registry import scheme_named
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record


@dataclass(frozen=True)
class CardView:
    """A card as people read it: its holder, type and state on the day asked."""

    id: int
    number: str
    scheme_code: str
    scheme_name: str
    card_type_code: str
    card_type_title: str
    colour: str
    category: str
    holder_id: int
    holder_name: str
    surname: str
    occupation: str
    issued_on: dt.date
    expires_on: dt.date
    status: str
    state: str
    expiring_soon: bool
    status_reason: str
    replaces_card_id: int | None


def describe(uow: AbstractUnitOfWork, card: Card, today: dt.date) -> CardView:
    scheme = on_record(uow.schemes.get(card.scheme_id), "the scheme")
    card_type = on_record(uow.card_types.get(card.card_type_id), "the card type")
    holder = on_record(uow.cardholders.get(card.cardholder_id), "the cardholder")
    occupation = uow.occupations.get(card.occupation_id) if card.occupation_id else None
    return CardView(
        id=card.id,
        number=card.number,
        scheme_code=scheme.code,
        scheme_name=scheme.name,
        card_type_code=card_type.code,
        card_type_title=card_type.title,
        colour=card_type.colour,
        category=str(card_type.category),
        holder_id=holder.id,
        holder_name=holder.full_name,
        surname=holder.surname,
        occupation=occupation.title if occupation else "",
        issued_on=card.issued_on,
        expires_on=card.expires_on,
        status=str(card.status),
        state=str(card.state_on(today)),
        expiring_soon=card.expiring_soon(today),
        status_reason=card.status_reason,
        replaces_card_id=card.replaces_card_id,
    )


def scheme_for_number(
    uow: AbstractUnitOfWork, number: str, scheme_code: str | None = None
) -> tuple[Scheme, str]:
    """The scheme a card number belongs to (given, or found from its prefix) and the number
    checked against that scheme's format."""
    return uow.schemes.resolve(number, scheme_code)


def _load_card(
    uow: AbstractUnitOfWork, who: Principal, number: str, scheme_code: str | None
) -> Card:
    scheme, normalised = scheme_for_number(uow, number, scheme_code)
    card = uow.cards.by_number(scheme.id, normalised)
    if card is None or not can_view_card(who, card.scheme_id, card.cardholder_id):
        # The same answer whether the card is missing or not theirs: no probing for numbers.
        raise NotFound(f"no card {normalised} that you can see")
    return card


def visible_card(
    uow: AbstractUnitOfWork, who: Principal, number: str, scheme_code: str | None = None
) -> Card:
    """The card with this number if ``who`` may see it, else NotFound (inside the caller's
    unit of work)."""
    return _load_card(uow, who, number, scheme_code)


def show_card(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    scheme_code: str | None = None,
    today: dt.date | None = None,
) -> CardView:
    with uow:
        card = _load_card(uow, who, number, scheme_code)
        return describe(uow, card, today or card_today())


def search_cards(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    query: str,
    scheme_code: str | None = None,
    today: dt.date | None = None,
    limit: int = 50,
) -> list[CardView]:
    """Cards whose number, or whose holder's surname, starts with ``query``."""
    query = (query or "").strip()
    if len(query) < 2:
        raise InvalidInput("type at least two characters of a card number or surname")
    with uow:
        scheme_id = None
        if scheme_code:
            scheme = scheme_named(uow, scheme_code)
            scheme_id = scheme.id
        if not who.is_hub_admin:
            require(who.scheme_id is not None and who.role == "scheme_admin", "search cards")
            if scheme_id not in (None, who.scheme_id):
                raise NotFound("no cards that you can see")
            scheme_id = who.scheme_id
        number = normalise_card_number(query)
        if any(ch.isdigit() for ch in number):
            found = uow.cards.search(scheme_id=scheme_id, number_prefix=number, limit=limit)
        else:
            found = uow.cards.search(
                scheme_id=scheme_id, surname_key=surname_key(query), limit=limit
            )
        day = today or card_today()
        return [describe(uow, card, day) for card in found]


def issue_card(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    cardholder_id: int,
    scheme_code: str,
    card_type_code: str,
    occupation_code: str | None = None,
    issued_on: dt.date | None = None,
    sources: Sequence[Source] = (),
    now: dt.datetime | None = None,
) -> CardView:
    """Issue a card, recording where it came from (``sources``: the assessment, test centre,
    training provider) with it."""
    now = now or utcnow()
    with uow:
        scheme = scheme_named(uow, scheme_code)
        require(can_manage_scheme(who, scheme.id), f"issue {scheme.code} cards")
        card_type = uow.card_types.by_code(scheme.id, card_type_code)
        if card_type is None:
            raise NotFound(f"{scheme.code} has no card type {card_type_code!r}")
        holder = uow.cardholders.get(cardholder_id)
        if holder is None:
            raise NotFound(f"there is no cardholder {cardholder_id}")
        occupation_id = None
        if occupation_code:
            occupation = uow.occupations.by_code(scheme.id, occupation_code)
            if occupation is None:
                raise NotFound(f"{scheme.code} has no occupation {occupation_code!r}")
            occupation_id = occupation.id
        number = scheme.number_format.number_for(uow.schemes.next_serial(scheme.id))
        card = Card.issue(
            card_type=card_type,
            cardholder_id=holder.id,
            number=number,
            issued_on=issued_on or card_day(now),
            occupation_id=occupation_id,
        )
        uow.cards.add(card)
        status_lists.allocate_entry(uow, card, now)  # at random, never its serial
        if sources:
            uow.card_sources.add_many([(card.id, source) for source in sources], now)
        record(
            uow,
            who,
            "card.issue",
            "card",
            card.number,
            now=now,
            detail={
                "scheme": scheme.code,
                "card_type": card_type.code,
                "cardholder_id": holder.id,
                "expires_on": card.expires_on.isoformat(),
                **({"sources": [s.label for s in sources]} if sources else {}),
            },
        )
        view = describe(uow, card, card_day(now))
        publish_card_changes(uow, [(card.id, "issued")], now)  # last: it holds the feed's turn
        uow.commit()
        return view


def _change(
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    scheme_code: str | None,
    action: str,
    change: Callable[[Card], Card | None],
    reason: str,
    now: dt.datetime | None,
) -> CardView:
    now = now or utcnow()
    with uow:
        card = _load_card(uow, who, number, scheme_code)
        require(can_manage_scheme(who, card.scheme_id), f"{action} this card")
        before = standing(card)
        successor = change(card)
        after = standing(card)
        if successor is not None:
            uow.cards.add(successor)
            status_lists.allocate_entry(uow, successor, now)
            after["replaced_by"] = successor.number
        reason = card.status_reason if action != "replace" else reason
        record(
            uow,
            who,
            f"card.{action}",
            "card",
            card.number,
            reason=reason,
            now=now,
            detail={"before": before, "after": after},
        )
        if successor is not None:
            record(
                uow,
                who,
                "card.issue",
                "card",
                successor.number,
                reason=reason,
                now=now,
                detail={"replaces": card.number, "expires_on": successor.expires_on.isoformat()},
            )
        if successor is not None or after["status"] != before["status"]:
            # The status list changes in this transaction: it commits or rolls back with it.
            status_lists.card_changed(uow, card, successor, now)
        view = describe(uow, successor or card, card_day(now))
        _publish(uow, action, card, successor, reason, now)  # last: it holds the feed's turn
        uow.commit()
        return view


def _publish(
    uow: AbstractUnitOfWork,
    action: str,
    card: Card,
    successor: Card | None,
    reason: str,
    now: dt.datetime,
) -> None:
    # A renewal gives the card new dates; every other action changes its status; a
    # replacement also issues its successor.
    detail: dict[int, dict[str, Any]] = {card.id: {"action": action, "reason": reason}}
    pairs = [(card.id, "renewed" if action == "renew" else "status")]
    if successor is not None:
        detail[card.id]["replaced_by"] = successor.number
        detail[successor.id] = {"replaces": card.number}
        pairs.append((successor.id, "issued"))
    publish_card_changes(uow, pairs, now, details=detail)


def renew_card(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    scheme_code: str | None = None,
    now: dt.datetime | None = None,
) -> CardView:
    now = now or utcnow()

    def renew(card: Card) -> None:
        old_expiry = card.expires_on
        card.renew(
            card_type=on_record(uow.card_types.get(card.card_type_id), "the card type"),
            today=card_day(now),
        )
        # A reissued card gets a new entry; its old credentials' entry lasts as long as they.
        status_lists.reissue_entry(uow, card, old_expiry, now)

    return _change(uow, who, number, scheme_code, "renew", renew, "", now)


def replace_card(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    reason: str,
    scheme_code: str | None = None,
    now: dt.datetime | None = None,
) -> CardView:
    try:
        why = ReplacementReason((reason or "").strip().lower())
    except ValueError:
        raise InvalidInput("a replacement reason is one of: lost, stolen, damaged") from None

    def replace(card: Card) -> Card:
        scheme = on_record(uow.schemes.get(card.scheme_id), "the scheme")
        new_number = scheme.number_format.number_for(uow.schemes.next_serial(scheme.id))
        return card.replace(reason=why, new_number=new_number)

    return _change(uow, who, number, scheme_code, "replace", replace, why.value, now)


def suspend_card(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    reason: str,
    scheme_code: str | None = None,
    now: dt.datetime | None = None,
) -> CardView:
    return _change(
        uow,
        who,
        number,
        scheme_code,
        "suspend",
        lambda card: card.suspend(reason=reason),
        reason,
        now,
    )


def reinstate_card(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    reason: str = "",
    scheme_code: str | None = None,
    now: dt.datetime | None = None,
) -> CardView:
    return _change(
        uow,
        who,
        number,
        scheme_code,
        "reinstate",
        lambda card: card.reinstate(reason=reason),
        reason,
        now,
    )


def revoke_card(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    reason: str,
    scheme_code: str | None = None,
    now: dt.datetime | None = None,
) -> CardView:
    return _change(
        uow,
        who,
        number,
        scheme_code,
        "revoke",
        lambda card: card.revoke(reason=reason),
        reason,
        now,
    )
