"""The HSE item bank and the assessment's settings.

- :func:`ensure_assessment`: the assessment (code ``HSE``) with its settings, made once.
Only hub admins change the bank, which every scheme shares (see
:func:`skillcard.domain.assessment.can_edit_item_bank`); scheme admins read it.

- :func:`import_items`: add items to the bank. An item whose content changed becomes a new
  version (the live one before it is retired); an unchanged one is left alone, so importing
  the same bank twice changes nothing.
- :func:`revise_item`: edit an item; a live item gets a new version, attempts keep theirs.
- :func:`bank`: the newest version of every item, for export and for the pages;
  :func:`find_items` filters it by topic and status, :func:`item_versions` gives one item's
  history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from skillcard.domain.accounts import Principal, require
from skillcard.domain.assessment import (
    Assessment,
    AssessmentSettings,
    Item,
    ItemStatus,
    can_edit_item_bank,
    can_read_item_bank,
)
from skillcard.errors import InvalidInput, NotFound
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.unit_of_work import AbstractUnitOfWork

ASSESSMENT_CODE = "HSE"
ASSESSMENT_TITLE = "Health, Safety and Environment assessment"


def ensure_assessment(
    uow: AbstractUnitOfWork, settings: AssessmentSettings | None = None
) -> Assessment:
    """The assessment in the caller's transaction, made with default settings if missing."""
    found = uow.hse_assessments.by_code(ASSESSMENT_CODE)
    if found is None:
        found = Assessment(
            code=ASSESSMENT_CODE,
            title=ASSESSMENT_TITLE,
            settings_data=(settings or AssessmentSettings()).to_dict(),
        )
        uow.hse_assessments.add(found)
    return found


@dataclass(frozen=True)
class ImportCounts:
    added: int
    revised: int
    unchanged: int


def import_items(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    items: list[Item],
    source: str = "",
    now: dt.datetime | None = None,
) -> ImportCounts:
    require(can_edit_item_bank(who), "change the shared HSE item bank (hub admins only)")
    if not items:
        raise InvalidInput("the bank to import has no items")
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        raise InvalidInput("the bank lists an item code twice")
    with uow:
        assessment = ensure_assessment(uow)
        topics = set(assessment.settings.topics)
        added = revised = unchanged = 0
        for item in items:
            if item.topic not in topics:
                raise InvalidInput(f"item {item.code}: {item.topic!r} is not a topic of the test")
            versions = uow.hse_items.versions(item.code)
            if not versions:
                uow.hse_items.add(_copy(item, version=item.version))
                added += 1
                continue
            newest = versions[-1]
            if newest.content() == item.content():
                if newest.status != item.status:
                    newest.status = item.status
                    revised += 1
                else:
                    unchanged += 1
                continue
            _retire_live(versions)
            uow.hse_items.add(_copy(item, version=newest.version + 1))
            revised += 1
        counts = ImportCounts(added, revised, unchanged)
        record(
            uow,
            who,
            "hse.bank.import",
            "hse_assessment",
            assessment.code,
            now=now or utcnow(),
            detail={"source": source[:200], **dataclasses.asdict(counts)},
        )
        uow.commit()
        return counts


def revise_item(
    *,
    uow: AbstractUnitOfWork,
    who: Principal,
    code: str,
    now: dt.datetime | None = None,
    **changes: Any,
) -> Item:
    """Edit an item: a new version when it was ever live (attempts may hold the old one)."""
    require(can_edit_item_bank(who), "change the shared HSE item bank (hub admins only)")
    allowed = {"stem", "options", "key", "explanation", "status", "topic"}
    if not changes or set(changes) - allowed:
        raise InvalidInput(f"an item edit changes some of {', '.join(sorted(allowed))}")
    with uow:
        versions = uow.hse_items.versions(code)
        if not versions:
            raise NotFound(f"no item {code} in the bank")
        newest = versions[-1]
        _check_topic(uow, code, changes.get("topic"))
        # Saving a form unchanged must not make a version nobody asked for.
        changes = {k: v for k, v in changes.items() if _differs(k, getattr(newest, k), v)}
        if not changes:
            return newest
        if newest.status == ItemStatus.DRAFT.value and changes.get("status", "draft") == "draft":
            for name, value in changes.items():  # a draft nobody has sat is edited in place
                setattr(newest, name, value)
            item = newest
            item.__post_init__()  # the same checks as a new item
        else:
            item = newest.revised(**changes)
            _retire_live(versions)
            uow.hse_items.add(item)
        record(
            uow,
            who,
            "hse.item.revise",
            "hse_item",
            code,
            now=now or utcnow(),
            detail={"version": item.version, "changed": sorted(changes)},
        )
        uow.commit()
        return item


def bank(*, uow: AbstractUnitOfWork, who: Principal) -> tuple[AssessmentSettings, list[Item]]:
    require(can_read_item_bank(who), "read the HSE item bank")
    with uow:
        assessment = uow.hse_assessments.by_code(ASSESSMENT_CODE)
        settings = assessment.settings if assessment else AssessmentSettings()
        return settings, uow.hse_items.latest()


def find_items(
    *, uow: AbstractUnitOfWork, who: Principal, topic: str = "", status: str = ""
) -> tuple[AssessmentSettings, list[Item]]:
    """The newest version of every item, only those of ``topic`` and ``status`` if given."""
    settings, items = bank(uow=uow, who=who)
    if topic and topic not in settings.topics:
        raise InvalidInput(f"{topic!r} is not a topic of the test")
    if status and status not in {s.value for s in ItemStatus}:
        raise InvalidInput("status is draft, live or retired")
    return settings, [
        i for i in items if (not topic or i.topic == topic) and (not status or i.status == status)
    ]


def item_versions(
    *, uow: AbstractUnitOfWork, who: Principal, code: str
) -> tuple[AssessmentSettings, list[Item]]:
    """Every version of one item, oldest first (the last is the one to edit)."""
    require(can_read_item_bank(who), "read the HSE item bank")
    with uow:
        versions = uow.hse_items.versions(code)
        if not versions:
            raise NotFound(f"no item {code} in the bank")
        assessment = uow.hse_assessments.by_code(ASSESSMENT_CODE)
        return (assessment.settings if assessment else AssessmentSettings()), versions


def _check_topic(uow: AbstractUnitOfWork, code: str, topic: str | None) -> None:
    if topic is None:
        return
    assessment = uow.hse_assessments.by_code(ASSESSMENT_CODE)
    if topic not in (assessment.settings if assessment else AssessmentSettings()).topics:
        raise InvalidInput(f"item {code}: {topic!r} is not a topic of the test", field="topic")


def _differs(name: str, current: object, wanted: object) -> bool:
    # The item keeps its stem and options with their spaces collapsed: compare them so.
    if name == "stem" and isinstance(wanted, str):
        wanted = " ".join(wanted.split())
    elif name == "options" and isinstance(wanted, list | tuple):
        wanted = [" ".join(str(o).split()) for o in wanted]
    return bool(current != wanted)


def _retire_live(versions: list[Item]) -> None:
    for old in versions:
        if old.status == ItemStatus.LIVE.value:
            old.status = ItemStatus.RETIRED.value


def _copy(item: Item, *, version: int) -> Item:
    return Item(
        code=item.code,
        version=version,
        topic=item.topic,
        stem=item.stem,
        options=list(item.options),
        key=item.key,
        explanation=item.explanation,
        status=item.status,
        language=item.language,
    )


def export_package(*, uow: AbstractUnitOfWork, who: Principal) -> bytes:
    """The bank as it stands, as a QTI 3.0 package (zip bytes)."""
    from skillcard.adapters.qti import write_package

    settings, items = bank(uow=uow, who=who)
    if not items:
        raise NotFound("the item bank is empty: nothing to export")
    return write_package(settings, items, ASSESSMENT_TITLE)


def import_package(
    *, uow: AbstractUnitOfWork, who: Principal, data: bytes, source: str = "QTI package"
) -> ImportCounts:
    """Import a QTI 3.0 package; a refused package (422) changes nothing."""
    from skillcard.adapters.qti import read_package

    require(can_edit_item_bank(who), "change the shared HSE item bank (hub admins only)")
    items, _counts = read_package(data)
    return import_items(uow=uow, who=who, items=items, source=source)
