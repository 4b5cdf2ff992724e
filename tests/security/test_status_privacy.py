"""Privacy of the status list (issue 14), on SQLite and PostgreSQL.

A status list whose entry is the card's serial tells anyone who downloads it which card numbers
are revoked or suspended. Entries are drawn at random among the unused ones (never the serial),
are unique per scheme, and a reissued card gets a new one while the old keeps saying the card's
state until the old credential expires. Lists double past half full. Migration 0018 moves the
cards of before onto random entries and keeps their serial listed for the credentials already
printed. And a list built before a bulk change (a seed) still tells the truth after it.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import os

import sqlalchemy as sa

from skillcard.adapters import cose
from skillcard.adapters.db import tables, tables_trust
from skillcard.adapters.db.migrate import downgrade, upgrade
from skillcard.domain.credentials import claims_from_map
from skillcard.domain.status_indexes import IndexSpace, entries_for
from skillcard.domain.trust import MIN_STATUS_ENTRIES, ListedState
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import credentials, signing, status_lists, trust
from skillcard.services.credentials.verification import cose_from_text, issue_credential
from skillcard.services.demo.seed import seed_registry
from skillcard.services.registry import cards
from tests.e2e.conftest import cli, files_dir  # noqa: F401 (fixtures)
from tests.factories import OPERATOR


def _card(uow, number: str):
    scheme, normalised = cards.scheme_for_number(uow, number)
    return scheme, uow.cards.by_number(scheme.id, normalised)


def _entry(uow_factory, number: str) -> int:
    with uow_factory() as uow:
        _scheme, card = _card(uow, number)
        return uow.status_lists.current_entry(card.id)


def _serial(number: str, prefix: str) -> int:
    return int(number[len(prefix) : -1])


def _index_in(text: str) -> int:
    message = cose.decode(cose_from_text(text))
    return claims_from_map(cose.loads(message.payload)).status_index


def _state(document: dict, index: int) -> ListedState:
    bits = gzip.decompress(base64.b64decode(document["bits"]))
    plane = gzip.decompress(base64.b64decode(document["suspended"]))
    mask = 0x80 >> (index & 7)
    if not bits[index >> 3] & mask:
        return ListedState.ACTIVE
    return ListedState.SUSPENDED if plane[index >> 3] & mask else ListedState.REVOKED


def _published(uow_factory, scheme_code: str, now: dt.datetime | None = None) -> dict:
    return trust.status_list(uow=uow_factory(), scheme_code=scheme_code, now=now)


def _issue(uow_factory, registry, count: int) -> list[str]:
    return [
        cards.issue_card(
            uow=uow_factory(), who=OPERATOR, cardholder_id=registry.holders["ann"],
            scheme_code="ECS", card_type_code="GOLD",
        ).number
        for _ in range(count)
    ]  # fmt: skip


# --- drawn at random, unique, never a used one ----------------------------------------------


def test_entries_are_drawn_at_random_unique_and_not_the_serials(registry, uow_factory):
    numbers = [registry.cards["ann"], registry.cards["bob"], *_issue(uow_factory, registry, 40)]
    entries = [_entry(uow_factory, n) for n in numbers]
    serials = [_serial(n, "ECS") for n in numbers]
    assert len(set(entries)) == len(entries)
    assert all(0 <= e < MIN_STATUS_ENTRIES for e in entries)
    # With serials the 42 entries would be 1..42; drawn at random over 131,072 they are not.
    assert sum(e == s for e, s in zip(entries, serials, strict=True)) <= 1
    assert max(entries) > 1_000 and sorted(entries) != entries
    text = credentials.printed_credential(uow=uow_factory(), number=numbers[5])
    assert _index_in(text) == entries[5] != serials[5]


def test_a_draw_skips_an_entry_another_card_holds(registry, uow_factory, monkeypatch):
    held = _entry(uow_factory, registry.cards["bob"])
    draws = iter([held, held, 77_777])
    monkeypatch.setattr(status_lists, "_random_below", lambda entries: next(draws))
    (number,) = _issue(uow_factory, registry, 1)
    assert _entry(uow_factory, number) == 77_777
    assert _entry(uow_factory, registry.cards["bob"]) == held


def test_the_database_refuses_one_entry_for_two_cards(registry, uow_factory):
    with uow_factory() as uow:
        _scheme, bob = _card(uow, registry.cards["bob"])
        _scheme, ann = _card(uow, registry.cards["ann"])
        assert not uow.status_lists.add_entry(ann, uow.status_lists.current_entry(bob.id))


def test_a_space_draws_only_unused_entries_and_doubles_past_half_full():
    evens = set(range(0, MIN_STATUS_ENTRIES, 2))  # every even entry: exactly half full
    freed = evens.pop()
    taken = set(evens)
    space = IndexSpace(MIN_STATUS_ENTRIES, taken, os.urandom)
    first = space.draw()  # the list is now exactly half full: it stays as it is
    assert space.entries == MIN_STATUS_ENTRIES
    assert first not in evens and (first % 2 == 1 or first == freed)
    second = space.draw()  # one more would pass half full: the list doubles first
    assert space.entries == 2 * MIN_STATUS_ENTRIES
    assert second not in evens and second != first
    drawn = [space.draw() for _ in range(5_000)]
    assert not set(drawn) & (evens | {first, second}) and len(set(drawn)) == len(drawn)
    assert max(drawn) >= MIN_STATUS_ENTRIES  # spread over the doubled list
    assert entries_for(65_536) == MIN_STATUS_ENTRIES and entries_for(65_537) == 262_144


def test_a_scheme_list_doubles_when_more_than_half_is_taken(registry, uow_factory):
    assert _published(uow_factory, "ECS")["entries"] == MIN_STATUS_ENTRIES
    with uow_factory() as uow:
        scheme = _card(uow, registry.cards["ann"])[0]
        uow.status_lists.save_space(scheme.id, MIN_STATUS_ENTRIES, MIN_STATUS_ENTRIES // 2)
        uow.commit()
    (number,) = _issue(uow_factory, registry, 1)
    assert _published(uow_factory, "ECS")["entries"] == 2 * MIN_STATUS_ENTRIES
    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=number, reason="checked")
    document = _published(uow_factory, "ECS")
    assert _state(document, _entry(uow_factory, number)) is ListedState.SUSPENDED


# --- replaced and reissued cards ------------------------------------------------------------


def test_a_replacement_has_its_own_entry_and_the_old_card_reads_revoked(registry, uow_factory):
    number = registry.cards["bob"]
    old_text = credentials.printed_credential(uow=uow_factory(), number=number)
    old_entry = _entry(uow_factory, number)
    new = cards.replace_card(uow=uow_factory(), who=OPERATOR, number=number, reason="lost")
    assert _entry(uow_factory, new.number) != old_entry
    new_text = credentials.printed_credential(uow=uow_factory(), number=new.number)
    assert _index_in(new_text) == _entry(uow_factory, new.number)
    assert credentials.verify_text(uow=uow_factory(), text=old_text).outcome.value == "revoked"
    assert credentials.verify_text(uow=uow_factory(), text=new_text).valid


def test_a_renewed_card_moves_to_a_new_entry_and_the_old_follows_it_until_expiry(
    registry, uow_factory
):
    number = registry.cards["ann"]
    with uow_factory() as uow:
        _scheme, card = _card(uow, number)
        old_expiry = card.expires_on
    at_renewal = dt.datetime.combine(old_expiry - dt.timedelta(days=30), dt.time(9), dt.UTC)
    old_text = credentials.printed_credential(uow=uow_factory(), number=number, now=at_renewal)
    old_entry = _entry(uow_factory, number)
    cards.renew_card(uow=uow_factory(), who=OPERATOR, number=number, now=at_renewal)
    new_entry = _entry(uow_factory, number)
    assert new_entry != old_entry
    later = at_renewal + dt.timedelta(days=1)
    new_text = credentials.printed_credential(uow=uow_factory(), number=number, now=later)
    assert _index_in(new_text) == new_entry and _index_in(old_text) == old_entry

    cards.suspend_card(uow=uow_factory(), who=OPERATOR, number=number, reason="x", now=later)
    for text in (old_text, new_text):  # the old card, still in date, is suspended with it
        result = credentials.verify_text(uow=uow_factory(), text=text, now=later)
        assert result.outcome.value == "suspended"
    document = _published(uow_factory, "ECS", later)
    assert _state(document, old_entry) is _state(document, new_entry) is ListedState.SUSPENDED

    # Once the old credential has expired, its entry says nothing more about the card: the
    # list, re-signed when it is next asked for, leaves it out.
    after = dt.datetime.combine(old_expiry + dt.timedelta(days=2), dt.time(9), dt.UTC)
    document = _published(uow_factory, "ECS", after)
    assert _state(document, old_entry) is ListedState.ACTIVE
    assert _state(document, new_entry) is ListedState.SUSPENDED
    assert credentials.verify_text(uow=uow_factory(), text=old_text, now=after).outcome.value in (
        "expired",
    )


# --- migration 0018 -------------------------------------------------------------------------


def test_the_migration_gives_existing_cards_random_entries_and_keeps_their_serials(
    registry, uow_factory, engine
):
    numbers = {key: registry.cards[key] for key in ("ann", "bob", "cy")}
    _published(uow_factory, "ECS")  # a list built the old way is dropped, then rebuilt
    downgrade(engine, "0013")
    upgrade(engine)
    with engine.connect() as connection:
        entries, card_rows = tables_trust.status_entries, tables.cards
        rows = connection.execute(
            sa.select(entries, card_rows.c.number, card_rows.c.expires_on).join(
                card_rows, card_rows.c.id == entries.c.card_id
            )
        ).all()
        spaces = connection.execute(sa.select(tables_trust.status_index_spaces)).all()
        stored = sa.select(sa.func.count()).select_from(tables_trust.status_lists)
        assert connection.scalar(stored) == 0
    assert len(rows) == 2 * len(numbers)
    for number in numbers.values():
        serial = _serial(number, "CPCS" if number.startswith("CPCS") else "ECS")
        mine = [r for r in rows if r.number == number]
        legacy = [r for r in mine if r.until is not None]
        current = [r for r in mine if r.until is None]
        assert [r.status_index for r in legacy] == [serial]
        assert legacy[0].until == legacy[0].expires_on  # as long as the printed card lasts
        assert len(current) == 1 and current[0].status_index != serial
    assert len({(r.scheme_id, r.status_index) for r in rows}) == len(rows)
    for space in spaces:
        assert space.entries >= MIN_STATUS_ENTRIES and space.entries & (space.entries - 1) == 0
        assert space.allocated == sum(r.scheme_id == space.scheme_id for r in rows)

    # A credential printed before the migration carries the serial: it still tells the truth.
    with uow_factory() as uow:
        scheme, card = _card(uow, numbers["bob"])
        claims = credentials.printed_claims_for(uow, card, "ECS", "ECS", utcnow())
        kid, key = signing.current_signer(uow, scheme.id)
        uow.commit()
    import dataclasses

    old_text = issue_credential(
        dataclasses.replace(claims, status_index=_serial(numbers["bob"], "ECS")), key, kid
    )
    assert credentials.verify_text(uow=uow_factory(), text=old_text).valid
    cards.revoke_card(uow=uow_factory(), who=OPERATOR, number=numbers["bob"], reason="forged")
    assert credentials.verify_text(uow=uow_factory(), text=old_text).outcome.value == "revoked"
    new_text = issue_credential(claims, key, kid)
    assert credentials.verify_text(uow=uow_factory(), text=new_text).outcome.value == "revoked"


# --- bulk changes after a list was built ----------------------------------------------------


def test_a_seed_after_the_lists_were_built_leaves_them_marking_its_cards(
    registry, uow_factory, engine
):
    built = trust.verifier_bundle(uow=uow_factory())  # every scheme's list built and stored
    assert {d["scheme"] for d in built["status_lists"]} == {"ECS", "CPCS"}
    summary = seed_registry(uow=uow_factory(), cards=3_000, schemes=2, seed=11)
    assert summary.suspended + summary.revoked > 0
    c, e = tables.cards.c, tables_trust.status_entries.c
    with uow_factory() as uow:
        documents = {s.code: (s.id, _stored_document(uow, s.id)) for s in uow.schemes.list()}
        marked = 0
        for code, (scheme_id, document) in documents.items():
            rows = uow.session.execute(
                sa.select(c.status, e.status_index)
                .join(tables_trust.status_entries, e.card_id == c.id)
                .where(c.scheme_id == scheme_id, e.until.is_(None))
            ).all()
            for status, index in rows:
                want = {"active": ListedState.ACTIVE, "suspended": ListedState.SUSPENDED}
                assert _state(document, index) is want.get(str(status), ListedState.REVOKED)
                marked += str(status) != "active"
            serials = sorted(index for _status, index in rows)
            assert serials != list(range(1, len(rows) + 1)), code
    assert marked == summary.suspended + summary.revoked


def _stored_document(uow, scheme_id: int) -> dict:
    import json

    return json.loads(uow.status_lists.get(scheme_id).document)


def test_rebuild_status_brings_the_lists_in_line_after_a_change_outside_the_services(
    registry,
    uow_factory,
    cli,  # noqa: F811
):
    number = registry.cards["bob"]
    _published(uow_factory, "ECS")  # built and stored
    with uow_factory() as uow:  # as a bulk import writing rows straight to the table would
        _scheme, card = _card(uow, number)
        uow.session.execute(
            tables.cards.update().where(tables.cards.c.id == card.id).values(status="suspended")
        )
        uow.commit()
    entry = _entry(uow_factory, number)
    assert _state(_published(uow_factory, "ECS"), entry) is ListedState.ACTIVE  # out of line
    code, out, err = cli("trust", "rebuild-status", "--scheme", "ECS")
    assert code == 0, err
    assert "1 status lists" in out
    assert _state(_published(uow_factory, "ECS"), entry) is ListedState.SUSPENDED
    assert cli("trust", "rebuild-status", "--scheme", "NOPE")[0] == 2
