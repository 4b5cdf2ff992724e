"""A business's workforce: cards added by number and surname (matched against the registry,
with the public check's one "no match" answer), removed, and shown by state."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from skillcard.domain.accounts import Principal
from skillcard.domain.business import (
    STATE_LABELS,
    WorkforceEntry,
    WorkforceState,
    clean_text,
    workforce_state,
)
from skillcard.domain.calendar import card_day
from skillcard.domain.checks import NO_MATCH_REASON, CheckOutcome
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.business.business import business_id_for
from skillcard.services.business.business_budget import Budget, note_outcomes, spend
from skillcard.services.business.business_checks import answer, log_public_check
from skillcard.services.clock import card_today
from skillcard.services.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class WorkforceRow:
    """One worker as the dashboard shows them: the public check's facts, the business's words."""

    entry_id: int
    scheme: str
    card_number: str
    holder_name: str
    card_type: str
    expires_on: dt.date
    state: WorkforceState
    label: str
    trade: str
    site: str
    subcontractor: str

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class Dashboard:
    rows: list[WorkforceRow]
    counts: dict[WorkforceState, int]
    sites: list[str] = field(default_factory=list)
    subcontractors: list[str] = field(default_factory=list)
    today: dt.date | None = None


def add_worker(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    number: str,
    surname: str,
    budget: Budget,
    scheme_code: str | None = None,
    label: str = "",
    trade: str = "",
    site: str = "",
    subcontractor: str = "",
    business_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Add a card to the workforce; returns the entry's id. It asks what a check asks (does
    this card belong to this surname?), so it draws on the business's budget and is kept in the
    card's check log, which its holder reads, match or not."""
    business_id = business_id_for(who, business_id)
    now = now or utcnow()
    with uow:
        spend(uow, budget, business_id, now=now)
        said = answer(uow, number, surname, scheme_code, card_day(now))
        log_public_check(uow, who, said, now, site)
        view = said.view
        if view.outcome == CheckOutcome.NO_MATCH:
            note_outcomes(uow, budget, business_id, 1, who=who, now=now)
            uow.commit()  # the refusal is an answer too: counted and logged
            raise NotFound(NO_MATCH_REASON)
        assert said.card_id is not None  # a match names its card
        entry = WorkforceEntry(
            business_id=business_id,
            card_id=said.card_id,
            added_at=now,
            added_by=who.label,
            label=label,
            trade=trade,
            site=site,
            subcontractor=subcontractor,
        )
        uow.workforce.add(entry)
        record(
            uow,
            who,
            "workforce.add",
            "business",
            business_id,
            detail={"card": f"{view.scheme} {view.card_number}", "entry": entry.id},
            now=now,
        )
        uow.commit()
        return entry.id


def remove_worker(
    *, uow: AbstractUnitOfWork, who: Principal, entry_id: int, business_id: int | None = None
) -> None:
    business_id = business_id_for(who, business_id)
    with uow:
        entry = uow.workforce.get(business_id, entry_id)
        if entry is None:  # another business's entry is as missing as one never made
            raise NotFound(f"no worker {entry_id} in your workforce")
        record(uow, who, "workforce.remove", "business", business_id, detail={"entry": entry_id})
        uow.workforce.remove(entry)
        uow.commit()


def dashboard(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    site: str = "",
    subcontractor: str = "",
    state: str = "",
    business_id: int | None = None,
    today: dt.date | None = None,
) -> Dashboard:
    """The workforce by state, filtered by site and subcontractor (and, for the list only,
    by state: the counts always show every state of the filtered workforce)."""
    business_id = business_id_for(who, business_id)
    today = today or card_today()
    site, subcontractor = clean_text(site, "a site"), clean_text(subcontractor, "a subcontractor")
    if state and state not in WorkforceState.__members__.values():
        raise InvalidInput(f"state must be one of: {', '.join(s.value for s in WorkforceState)}")
    with uow:
        found = uow.workforce.with_cards(business_id, site=site, subcontractor=subcontractor)
        rows = [
            WorkforceRow(
                entry_id=entry.id,
                scheme=scheme,
                card_number=card.number,
                holder_name=holder.full_name,
                card_type=card_type,
                expires_on=card.expires_on,
                state=workforce_state(card, today),
                label=entry.label,
                trade=entry.trade,
                site=entry.site,
                subcontractor=entry.subcontractor,
            )
            for entry, card, holder, scheme, card_type in found
        ]
        counts = Counter(row.state for row in rows)
        return Dashboard(
            rows=[r for r in rows if not state or r.state == state],
            counts={s: counts.get(s, 0) for s in WorkforceState},
            sites=uow.workforce.distinct(business_id, "site"),
            subcontractors=uow.workforce.distinct(business_id, "subcontractor"),
            today=today,
        )
