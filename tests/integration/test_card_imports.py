"""A scheme's card records through the connector's service, on SQLite and PostgreSQL: the
newer version wins, the same file twice changes nothing, a snapshot's missing cards, and a
refused file changes nothing (issue 17 item 1)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from skillcard.services.federation import change_feed
from skillcard.services.registry import card_imports, cards, provenance
from tests.factories import OPERATOR

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def number(uow_factory, serial: int, code: str = "ECS") -> str:
    with uow_factory() as uow:
        return uow.schemes.by_code(code).number_format.number_for(serial)


def record(num: str, version=1, **changes) -> dict:
    values = {
        "scheme": "ECS", "number": num, "version": version, "holder_ref": f"H-{num}",
        "given_names": "Dee", "surname": "Okafor", "date_of_birth": "1990-02-03",
        "card_type": "GOLD", "issued_on": "2026-01-10", "expires_on": "2029-01-10",
        "status": "active", "status_reason": "",
    }  # fmt: skip
    return {**values, **changes}


def run(uow_factory, tmp_path, rows, *, snapshot=False, dry_run=False, text=None):
    source = tmp_path / f"{uuid.uuid4().hex}.ndjson"
    source.write_text(text if text is not None else "".join(json.dumps(r) + "\n" for r in rows))
    import_id = uuid.uuid4().hex
    card_imports.open_import(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", import_id=import_id,
        filename=source.name, source=source, snapshot=snapshot, dry_run=dry_run, now=NOW,
    )  # fmt: skip
    done = card_imports.run_import(
        uow_factory=uow_factory, who=OPERATOR, import_id=import_id, source=source, now=NOW
    )
    with uow_factory() as uow:
        results = list(uow.card_imports.rows(import_id))
    return done, results


def show(uow_factory, num):
    return cards.show_card(uow=uow_factory(), who=OPERATOR, number=num)


def counts(done):
    return (done.status, done.created, done.updated, done.unchanged, done.refused)


def test_the_newer_version_wins_and_an_older_one_is_refused(registry, uow_factory, tmp_path):
    a = number(uow_factory, 900_001)
    done, _ = run(uow_factory, tmp_path, [record(a, 5)])
    assert counts(done) == ("done", 1, 0, 0, 0)
    done, rows = run(uow_factory, tmp_path, [record(a, 4, status="revoked", status_reason="x")])
    assert counts(done) == ("done", 0, 0, 0, 1)
    assert "older than the version on record (5)" in rows[0].reason
    assert show(uow_factory, a).status == "active"
    done, _ = run(uow_factory, tmp_path, [record(a, 6, status="suspended", status_reason="audit")])
    assert counts(done) == ("done", 0, 1, 0, 0)
    view = show(uow_factory, a)
    assert (view.status, view.status_reason, view.holder_name) == (
        "suspended",
        "audit",
        "Dee Okafor",
    )


def test_the_hub_never_issues_a_number_the_scheme_gave(registry, uow_factory, tmp_path):
    a = number(uow_factory, 900_009)
    run(uow_factory, tmp_path, [record(a)])
    view = cards.issue_card(
        uow=uow_factory(), who=OPERATOR, cardholder_id=registry.holders["ann"],
        scheme_code="ECS", card_type_code="GOLD",
    )  # fmt: skip
    assert view.number == number(uow_factory, 900_010)


def test_times_as_versions_compare_across_zones(registry, uow_factory, tmp_path):
    a = number(uow_factory, 900_002)
    run(uow_factory, tmp_path, [record(a, "2026-12-01T10:00:00+01:00")])
    older = record(a, "2026-12-01T09:30:00Z", surname="Later")  # 09:30Z is after 09:00Z
    done, _ = run(uow_factory, tmp_path, [older])
    assert counts(done) == ("done", 0, 1, 0, 0)
    done, rows = run(uow_factory, tmp_path, [record(a, "2026-12-01T08:00:00Z")])
    assert rows[0].outcome == "refused"


def test_the_same_file_twice_changes_nothing(registry, uow_factory, tmp_path):
    rows = [record(number(uow_factory, 900_100 + i), 1, holder_ref=f"P{i // 2}") for i in range(12)]
    first, _ = run(uow_factory, tmp_path, rows)
    assert counts(first) == ("done", 12, 0, 0, 0)
    with uow_factory() as uow:
        holders = uow.card_records.holders(uow.schemes.by_code("ECS").id, ["P0", "P5"])
    assert len(holders) == 2  # two cards a holder: one person each
    again, results = run(uow_factory, tmp_path, rows)
    assert counts(again) == ("done", 0, 0, 12, 0)
    assert {r.outcome for r in results} == {"unchanged"}


def test_a_batch_of_thousands_of_new_cards_draws_distinct_status_entries(
    registry, uow_factory, tmp_path
):
    # 3,000 new cards draw over 6,000 candidate entries in one batch: more than one IN list
    # on SQLite (a full 5,000-row batch failed there before taken_among went by `among`).
    rows = [record(number(uow_factory, 700_000 + i), holder_ref=f"B{i}") for i in range(3000)]
    done, _ = run(uow_factory, tmp_path, rows)
    assert counts(done) == ("done", 3000, 0, 0, 0)
    with uow_factory() as uow:
        scheme_id = uow.schemes.by_code("ECS").id
        ids = [uow.cards.by_number(scheme_id, r["number"]).id for r in rows[::300]]
        entries = uow.status_lists.entries_of_ids(ids, NOW.date())
    assert len({entry for _card, entry in entries}) == len(ids)


def test_a_status_change_reaches_the_signed_status_list(registry, uow_factory, tmp_path):
    from skillcard.services.credentials import status_lists

    a = number(uow_factory, 900_003)
    run(uow_factory, tmp_path, [record(a, 1)])
    with uow_factory() as uow:
        scheme_id = uow.schemes.by_code("ECS").id
        status_lists.published_status_list(uow, scheme_id, NOW)
        uow.commit()
    run(uow_factory, tmp_path, [record(a, 2, status="revoked", status_reason="forged")])
    with uow_factory() as uow:
        listed = dict(uow.status_lists.listed_entries(scheme_id, NOW.date()))
        card_id = uow.cards.by_number(scheme_id, a).id
        ((_, entry),) = uow.status_lists.entries_of_ids([card_id], NOW.date())
        stored = uow.status_lists.get(scheme_id)
    assert listed[entry] == "revoked"
    assert stored.bits[entry // 8] & (0x80 >> (entry % 8)) or stored.bits[entry // 8] & (
        1 << (entry % 8)
    )


def test_a_snapshot_marks_the_missing_cards_after_a_dry_run(registry, uow_factory, tmp_path):
    kept = [record(number(uow_factory, 900_200 + i)) for i in range(3)]
    run(uow_factory, tmp_path, kept)
    snapshot = kept[:2]
    # ann's and bob's cards (the hub's own) and kept[2] are missing from the snapshot
    dry, _ = run(uow_factory, tmp_path, snapshot, snapshot=True, dry_run=True)
    assert (dry.status, dry.missing) == ("done", 3)
    assert show(uow_factory, kept[2]["number"]).status == "active"
    done, _ = run(uow_factory, tmp_path, snapshot, snapshot=True)
    assert (done.missing, done.unchanged) == (3, 2)
    gone = show(uow_factory, kept[2]["number"])
    assert gone.status == "revoked" and "missing from the scheme's snapshot" in gone.status_reason
    assert show(uow_factory, registry.cards["ann"]).status == "revoked"
    assert show(uow_factory, registry.cards["cy"]).status == "active"  # another scheme's
    again, _ = run(uow_factory, tmp_path, snapshot, snapshot=True, dry_run=True)
    assert again.missing == 0


@pytest.mark.parametrize(
    "bad, why",
    [
        (lambda r: [r, {**r, "scheme": "CPCS"}], "another scheme"),
        (lambda r: [r, dict(r)], "card number another row gives"),
    ],
)
def test_a_refused_file_changes_nothing(registry, uow_factory, tmp_path, bad, why):
    a = number(uow_factory, 900_300)
    done, rows = run(uow_factory, tmp_path, bad(record(a)))
    assert done.status == "refused" and why in done.message
    assert rows and all(r.outcome == "refused" and r.reason for r in rows)
    with uow_factory() as uow:
        assert uow.cards.by_number(uow.schemes.by_code("ECS").id, a) is None


def test_bad_rows_are_refused_with_why_and_the_rest_applied(registry, uow_factory, tmp_path):
    a, b, c, d = (number(uow_factory, 900_400 + i) for i in range(4))
    rows = [
        record(a),
        record(b, card_type="PLATINUM"),
        record(c, expires_on="2029-02-30"),
        record(d, status="revoked"),
    ]
    text = "".join(json.dumps(r) + "\n" for r in rows) + "not json\n"
    done, results = run(uow_factory, tmp_path, None, text=text)
    assert counts(done) == ("done", 1, 0, 0, 4)
    reasons = {r.line: r.reason for r in results if r.outcome == "refused"}
    assert "no card type 'PLATINUM'" in reasons[2]
    assert "not a date" in reasons[3]
    assert "status_reason is required" in reasons[4]
    assert "not a JSON object" in reasons[5]


def test_a_truncated_file_is_refused_before_anything(registry, uow_factory, tmp_path):
    from skillcard.errors import InvalidInput

    text = json.dumps(record(number(uow_factory, 900_500))) + "\n" + '{"scheme": "ECS", "num'
    with pytest.raises(InvalidInput, match="cut short"):
        run(uow_factory, tmp_path, None, text=text)


class _Killed(BaseException):
    """A worker killed mid-import: not an error the run could catch and record."""


def test_an_import_killed_mid_way_goes_on_without_applying_a_row_twice(
    registry, uow_factory, tmp_path, monkeypatch
):
    from skillcard.services.registry import import_run

    monkeypatch.setattr(import_run, "BATCH", 3)
    rows = [record(number(uow_factory, 900_600 + i)) for i in range(10)]
    source = tmp_path / "cards.ndjson"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    import_id = uuid.uuid4().hex
    card_imports.open_import(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", import_id=import_id,
        filename=source.name, source=source, now=NOW,
    )  # fmt: skip

    def kill_after_two_batches(now):
        if now.done_rows >= 6:
            raise _Killed

    with pytest.raises(_Killed):
        card_imports.run_import(
            uow_factory=uow_factory, who=OPERATOR, import_id=import_id, source=source,
            progress=kill_after_two_batches, now=NOW,
        )  # fmt: skip
    with uow_factory() as uow:
        cut = uow.card_imports.get(import_id)
    assert (cut.status, cut.done_rows, cut.created) == ("applying", 6, 6)
    done = card_imports.run_import(
        uow_factory=uow_factory, who=OPERATOR, import_id=import_id, source=source, now=NOW
    )
    assert counts(done) == ("done", 10, 0, 0, 0) and done.done_rows == 10
    with uow_factory() as uow:
        results = list(uow.card_imports.rows(import_id))
        assert len(uow.card_imports.changed_cards(import_id)) == 10
    assert [r.line for r in results] == list(range(1, 11))


def _feed(uow_factory, after=None):
    page = change_feed.read_changes(uow=uow_factory(), who=OPERATOR, after=after, limit=1000)
    return [(c.card_number, c.kind, c.status) for c in page.changes], page.next


def test_what_an_import_changes_is_on_the_change_feed_once(registry, uow_factory, tmp_path):
    a, b = number(uow_factory, 900_021), number(uow_factory, 900_022)
    _, start = _feed(uow_factory)
    run(uow_factory, tmp_path, [record(a), record(b)])
    seen, cursor = _feed(uow_factory, start)
    assert seen == [(a, "issued", "active"), (b, "issued", "active")]
    run(uow_factory, tmp_path, [record(a), record(b)])  # the same file: nothing to tell
    assert _feed(uow_factory, cursor)[0] == []
    card_imports.put_card(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", number=a,
        values=record(a, 2, status="suspended", status_reason="audit"), now=NOW,
    )  # fmt: skip
    seen, cursor = _feed(uow_factory, cursor)
    assert seen == [(a, "status", "suspended")]
    run(uow_factory, tmp_path, [record(a, 3, status="suspended", status_reason="audit")],
        snapshot=True)  # fmt: skip
    told = _feed(uow_factory, cursor)[0]  # every ECS card missing from it, b among them
    assert (b, "status", "revoked") in told and {kind for _, kind, _ in told} == {"status"}
    assert a not in {n for n, _, _ in told} and len(told) == len(set(told))


def test_an_imports_cards_are_revoked_by_it_in_one_step_and_told_on_the_feed(
    registry, uow_factory, tmp_path
):
    a, b = number(uow_factory, 900_031), number(uow_factory, 900_032)
    done, _ = run(uow_factory, tmp_path, [record(a), record(b)])
    _, cursor = _feed(uow_factory)
    ref = f"IMPORT-{done.id}"
    shown = provenance.preview(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", kind="import", reference=ref
    )
    assert shown.count == 2
    provenance.revoke_by_provenance(
        uow=uow_factory(), who=OPERATOR, scheme_code="ECS", kind="import", reference=ref,
        reason="the scheme's system sent them in error", now=NOW,
    )  # fmt: skip
    assert {show(uow_factory, n).status for n in (a, b)} == {"revoked"}
    told, _ = _feed(uow_factory, cursor)
    assert sorted(told) == [(a, "status", "revoked"), (b, "status", "revoked")]
