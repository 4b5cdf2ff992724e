"""CPD records: a holder logs activities with evidence, sees progress to the yearly target,
and exports the record; assessors verify entries of the holders their scheme sampled.

Who may see a holder's CPD and evidence (``may_see_cpd``): the holder; a scheme admin of a
scheme the holder holds a card of (or applied to); an assessor of a scheme whose CPD audit
sampled the holder; the hub admin. Everyone else gets "not found", never "forbidden", so the
existence of a record is not given away.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from skillcard.adapters.evidence_store import check_evidence, safe_filename
from skillcard.domain.accounts import Principal, Role, require
from skillcard.domain.cpd import (
    CpdRecord,
    CpdType,
    EvidenceFile,
    Progress,
    check_day_total,
    hours_to_minutes,
    progress,
)
from skillcard.domain.people import Cardholder
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import record as audit_record
from skillcard.services.audit.audit import utcnow
from skillcard.services.clock import card_today
from skillcard.services.ports.files import EvidenceFiles
from skillcard.services.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class CpdEntry:
    record: CpdRecord
    evidence: list[EvidenceFile]


@dataclass(frozen=True)
class CpdLog:
    cardholder_id: int
    holder_name: str
    entries: list[CpdEntry]
    progress: Progress
    target_from: str  # which card type the target comes from, in words


def scheme_ids_related(uow: AbstractUnitOfWork, cardholder_id: int) -> set[int]:
    schemes = set(uow.cards.scheme_ids_of_cardholder(cardholder_id))
    schemes |= {a.scheme_id for a in uow.applications.of_cardholder(cardholder_id)}
    return schemes


def may_see_cpd(uow: AbstractUnitOfWork, who: Principal, cardholder_id: int) -> bool:
    if who.is_hub_admin:
        return True
    if who.role == Role.CARDHOLDER:
        return who.cardholder_id == cardholder_id
    if who.role == Role.SCHEME_ADMIN:
        return who.scheme_id in scheme_ids_related(uow, cardholder_id)
    if who.role == Role.ASSESSOR:
        return who.scheme_id in uow.cpd_audits.sampled_scheme_ids(cardholder_id)
    return False


def _visible(uow: AbstractUnitOfWork, who: Principal, cardholder_id: int) -> Cardholder:
    holder = uow.cardholders.get(cardholder_id)
    if holder is None or not may_see_cpd(uow, who, cardholder_id):
        raise NotFound(f"no CPD record of cardholder {cardholder_id} that you can see")
    return holder


def yearly_target(uow: AbstractUnitOfWork, cardholder_id: int) -> tuple[float, str]:
    """The highest CPD target of the holder's active cards' types (a setting per card type)."""
    best, source = 0.0, "no card with a CPD target"
    for card in uow.cards.active_of_cardholder(cardholder_id):
        card_type = uow.card_types.get(card.card_type_id)
        if card_type and card_type.cpd_target_hours > best:
            best, source = float(card_type.cpd_target_hours), card_type.title
    return best, source


def record_cpd(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    store: EvidenceFiles,
    cardholder_id: int,
    activity_on: dt.date,
    activity_type: str,
    title: str,
    hours: float | str,
    provider: str = "",
    learned: str = "",
    reflection: str = "",
    files: Sequence[tuple[str, bytes]] = (),
    now: dt.datetime | None = None,
) -> int:
    """A holder logs an activity (self-declared) with evidence files; its id. A refused file
    or bad value stores nothing at all."""
    now = now or utcnow()
    require(who.role == Role.CARDHOLDER and who.cardholder_id == cardholder_id, "log this CPD")
    minutes = hours_to_minutes(hours)
    for name, data in files:  # check every file before anything is written
        check_evidence(data, name)
    with uow:
        _visible(uow, who, cardholder_id)
        entry = CpdRecord(
            cardholder_id=cardholder_id,
            activity_on=activity_on,
            activity_type=cast(CpdType, activity_type),  # checked and made one by CpdRecord
            title=title,
            minutes=minutes,
            recorded_at=now,
            provider=(provider or "").strip(),
            learned=(learned or "").strip(),
            reflection=(reflection or "").strip(),
        )
        check_day_total(uow.cpd.minutes_on(cardholder_id, activity_on), minutes, activity_on)
        uow.cpd.add(entry)
        for name, data in files:
            add_evidence(uow, store, cardholder_id, name, data, now, cpd_record_id=entry.id)
        audit_record(
            uow,
            who,
            "cpd.record",
            "cardholder",
            cardholder_id,
            now=now,
            detail={"cpd_record": entry.id, "minutes": minutes, "files": len(files)},
        )
        uow.commit()
        return entry.id


def add_cpd_evidence(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    store: EvidenceFiles,
    record_id: int,
    files: list[tuple[str, bytes]],
    now: dt.datetime | None = None,
) -> int:
    """The holder adds files to an entry they logged (say, what an assessor asked for)."""
    now = now or utcnow()
    if not files:
        raise InvalidInput("choose at least one file to add", field="evidence")
    for name, data in files:
        check_evidence(data, name)
    with uow:
        entry = uow.cpd.get(record_id)
        if entry is None or not may_see_cpd(uow, who, entry.cardholder_id):
            raise NotFound(f"no CPD entry {record_id} that you can see")
        require(who.cardholder_id == entry.cardholder_id, "add evidence to this entry")
        for name, data in files:
            add_evidence(uow, store, entry.cardholder_id, name, data, now, cpd_record_id=entry.id)
        audit_record(
            uow, who, "cpd.evidence", "cpd_record", entry.id, now=now, detail={"files": len(files)}
        )
        uow.commit()
        return len(files)


def add_evidence(
    uow: AbstractUnitOfWork,
    store: EvidenceFiles,
    cardholder_id: int,
    name: str,
    data: bytes,
    now: dt.datetime,
    **link: int,
) -> EvidenceFile:
    """Store a file and its row in the caller's transaction (the file itself is content-named,
    so a rolled-back row leaves at most an unreferenced file, never a wrong one)."""
    sha256, media_type = store.put(data, name)
    evidence = EvidenceFile(
        cardholder_id=cardholder_id,
        sha256=sha256,
        media_type=media_type,
        size=len(data),
        filename=safe_filename(name),
        uploaded_at=now,
        **link,
    )
    uow.evidence.add(evidence)
    return evidence


def cpd_log(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    cardholder_id: int,
    year: int | None = None,
    today: dt.date | None = None,
) -> CpdLog:
    """A holder's CPD, newest first, with progress to the yearly target in ``year``."""
    day = today or card_today()
    year = year or day.year
    with uow:
        holder = _visible(uow, who, cardholder_id)
        records = uow.cpd.of_cardholder(cardholder_id)
        files = uow.evidence.of_cpd_records([r.id for r in records])
        by_record: dict[int, list[EvidenceFile]] = {}
        for f in files:
            if f.cpd_record_id is not None:
                by_record.setdefault(f.cpd_record_id, []).append(f)
        target, source = yearly_target(uow, cardholder_id)
        return CpdLog(
            cardholder_id=cardholder_id,
            holder_name=holder.full_name,
            entries=[CpdEntry(r, by_record.get(r.id, [])) for r in records],
            progress=progress(records, year, target),
            target_from=source,
        )


def verify_cpd(
    *, uow: AbstractUnitOfWork, who: Principal, record_id: int, now: dt.datetime | None = None
) -> None:
    """An assessor (of a scheme that sampled the holder) or a scheme admin verifies an entry."""
    now = now or utcnow()
    require(who.role in (Role.ASSESSOR, Role.SCHEME_ADMIN, Role.HUB_ADMIN), "verify CPD")
    with uow:
        entry = uow.cpd.get(record_id)
        if entry is None or not may_see_cpd(uow, who, entry.cardholder_id):
            raise NotFound(f"no CPD entry {record_id} that you can see")
        entry.verify(who.label, now)
        audit_record(uow, who, "cpd.verify", "cpd_record", record_id, now=now)
        uow.commit()


def evidence_bytes(
    *, uow: AbstractUnitOfWork, who: Principal, store: EvidenceFiles, evidence_id: int
) -> tuple[EvidenceFile, bytes]:
    """A stored evidence file, only for people who may see its holder's record (else 404)."""
    with uow:
        evidence = uow.evidence.get(evidence_id)
        if evidence is None or not may_see_cpd(uow, who, evidence.cardholder_id):
            raise NotFound("no such evidence file that you can see")
        data = store.get(evidence.sha256, evidence.media_type)
        if data is None:
            raise NotFound("the evidence file is missing from the file store")
        return evidence, data
