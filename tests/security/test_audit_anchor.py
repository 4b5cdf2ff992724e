"""Issue 14 (trust hardening): the audit chain cannot be rewritten quietly.

Whoever can write to the database can change an audit row and recompute every hash after it;
the chain then holds again. The hub's signed checkpoints, kept outside the database, are what
show it. These tests play that attacker, on both databases.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from skillcard.adapters import keys
from skillcard.adapters.db import tables
from skillcard.adapters.signed_json import b64, sign_document
from skillcard.domain.audit import AuditEvent
from skillcard.domain.audit_checkpoints import statement
from skillcard.services import jobs
from skillcard.services.audit import audit, audit_checkpoints
from skillcard.services.credentials.trust import hub_public_key
from tests.e2e import conftest as e2e
from tests.factories import OPERATOR

app, cli, client, files_dir = e2e.app, e2e.cli, e2e.client, e2e.files_dir  # the HTTP fixtures


def _events(uow_factory, n: int, start: int = 0) -> None:
    for number in range(start, start + n):
        with uow_factory() as uow:
            audit.record(uow, OPERATOR, "test.event", "thing", number, reason=f"event {number}")
            uow.commit()


def _rewrite(engine, seq: int) -> None:
    """What an attacker with database access does: change event ``seq`` and recompute every
    hash after it, and the head, so that the chain holds again."""
    e = tables.audit_events
    with engine.begin() as connection:
        rows = connection.execute(sa.select(e).order_by(e.c.seq)).mappings().all()
        prev = rows[0]["prev_hash"]
        for row in rows:
            event = AuditEvent(**{k: row[k] for k in AuditEvent.__dataclass_fields__})
            if event.seq == seq:
                event.actor, event.reason = "someone innocent", "nothing happened"
            event.seal(seq=event.seq, prev_hash=prev)
            prev = event.hash
            values = {"actor": event.actor, "reason": event.reason}
            values |= {"prev_hash": event.prev_hash, "hash": event.hash}
            connection.execute(e.update().where(e.c.seq == event.seq).values(**values))
        connection.execute(tables.audit_head.update().values(hash=prev))


def _truncate(engine, keep: int) -> None:
    e = tables.audit_events
    with engine.begin() as connection:
        connection.execute(e.delete().where(e.c.seq > keep))
        last = connection.execute(sa.select(e.c.hash).where(e.c.seq == keep)).scalar_one()
        connection.execute(tables.audit_head.update().values(seq=keep, hash=last))


def _forget_checkpoints(engine) -> None:
    """The attacker removes the checkpoints the database holds (they are not the copies)."""
    with engine.begin() as connection:
        connection.execute(tables.audit_checkpoints.delete())


def _check(uow_factory, exported=None, **kwargs):
    statements = None if exported is None else exported["checkpoints"]
    return audit_checkpoints.check_audit_log(
        uow=uow_factory(), who=OPERATOR, checkpoints=statements, **kwargs
    )


@pytest.fixture
def anchored(uow_factory):
    """Five events, a checkpoint at event 5 (and the hub key's own event), two events more,
    and the checkpoints exported: the copy kept elsewhere."""
    _events(uow_factory, 5)
    made, new = audit_checkpoints.make_checkpoint(uow=uow_factory(), who=OPERATOR)
    assert new and made.seq == 6  # the hub key's making is event 6, before the signing
    _events(uow_factory, 2, start=5)
    return audit_checkpoints.export_checkpoints(uow=uow_factory())


def test_a_rewrite_with_recomputed_hashes_passes_the_chain_but_not_a_checkpoint(
    uow_factory, engine, anchored
):
    assert _check(uow_factory, anchored).intact
    _rewrite(engine, 3)
    _forget_checkpoints(engine)
    # Without checkpoints, the rewrite is invisible: this is the hole being closed.
    assert audit.verify_audit_chain(uow=uow_factory(), who=OPERATOR) == (8, None)
    found = _check(uow_factory, anchored)
    assert not found.intact and found.broken.seq == 6
    assert "rewritten" in found.broken.reason and "from 1 to 6" in found.broken.reason


def test_the_checkpoints_in_the_database_catch_a_rewrite_that_left_them(
    uow_factory, engine, anchored
):
    _rewrite(engine, 2)
    count, broken = audit.verify_audit_chain(uow=uow_factory(), who=OPERATOR)
    assert count == 8 and broken.seq == 6 and "rewritten" in broken.reason


def test_a_rewrite_after_the_last_checkpoint_is_not_caught(uow_factory, engine, anchored):
    # What the chain does not prove (the README says so): events after the last checkpoint.
    _rewrite(engine, 8)
    assert _check(uow_factory, anchored).intact


def test_a_truncation_before_the_last_checkpoint_is_named(uow_factory, engine, anchored):
    _truncate(engine, 4)
    _forget_checkpoints(engine)
    assert audit.verify_audit_chain(uow=uow_factory(), who=OPERATOR) == (4, None)
    found = _check(uow_factory, anchored)
    assert found.broken.seq == 5 and "events 5 to 6 were removed" in found.broken.reason


def test_a_forged_checkpoint_is_refused(uow_factory, engine, anchored):
    genuine = anchored["checkpoints"][0]
    _rewrite(engine, 3)
    with uow_factory() as uow:
        rewritten = uow.audit.hashes_at([6])[6]
    # The attacker's checkpoint of the rewritten chain: the old signature, or their own key.
    moved = {**genuine, "hash": rewritten}
    own_key = keys.generate_private_key()
    forged = sign_document({**moved, "kid": genuine["kid"]}, own_key)
    for fake in (moved, forged, {**genuine, "seq": "6"}, ["not", "a", "checkpoint"]):
        found = _check(uow_factory, {"checkpoints": [fake]})
        assert not found.intact and found.refused, fake
    refused = _check(uow_factory, {"checkpoints": [forged]}).refused
    assert "not signed by the hub's key" in refused[0]


def test_a_pinned_hub_key_is_the_only_one_that_vouches(uow_factory, anchored):
    pinned = hub_public_key(uow=uow_factory())
    assert _check(uow_factory, anchored, hub_keys=[pinned]).key_source == "pinned"
    assert _check(uow_factory, anchored, hub_keys=[pinned]).intact
    stranger = keys.public_key_bytes(keys.generate_private_key())
    found = _check(uow_factory, anchored, hub_keys=[stranger])
    assert not found.intact and len(found.refused) == 2  # the file's and the database's


def test_a_checkpoint_is_made_only_when_the_head_moved(uow_factory):
    assert audit_checkpoints.make_checkpoint(uow=uow_factory(), who=OPERATOR)[1]  # key event
    context = jobs.JobContext(uow_factory=uow_factory, public_url="http://x", files=None)
    jobs.run_job(context, jobs.CHECKPOINT, {})  # the periodic job: the head has not moved
    _events(uow_factory, 1)
    jobs.run_job(context, jobs.CHECKPOINT, {})
    jobs.run_job(context, jobs.CHECKPOINT, {})
    with uow_factory() as uow:
        assert [c.seq for c in uow.audit.checkpoints()] == [1, 2]


def test_only_a_hub_admin_signs_a_checkpoint(uow_factory, registry):
    for role in ("ecs_admin", "invigilator", "holder_ann"):
        who = registry.principals.get(role)
        if who is None:
            continue
        with pytest.raises(Exception, match="permission"):
            audit_checkpoints.make_checkpoint(uow=uow_factory(), who=who)


def test_the_api_publishes_the_checkpoints_in_pages(client, uow_factory):
    for _ in range(3):
        _events(uow_factory, 1)
        audit_checkpoints.make_checkpoint(uow=uow_factory(), who=OPERATOR)
    whole = client.get("/api/v1/audit/checkpoints")
    assert whole.status_code == 200
    body = whole.json()
    assert [c["seq"] for c in body["checkpoints"]] == [2, 3, 4] and body["next_after"] is None
    first = client.get("/api/v1/audit/checkpoints", params={"limit": 2}).json()
    assert [c["seq"] for c in first["checkpoints"]] == [2, 3] and first["next_after"] == 3
    rest = client.get("/api/v1/audit/checkpoints", params={"after": 3}).json()
    assert [c["seq"] for c in rest["checkpoints"]] == [4]
    assert all(c["signature"] and c["kid"] for c in body["checkpoints"])
    bad = client.get("/api/v1/audit/checkpoints", params={"after": -1})
    assert bad.status_code == 422 and "error" in bad.json()
    # A saved page is a file that `audit verify` reads.
    assert _check(uow_factory, body, hub_keys=[hub_public_key(uow=uow_factory())]).anchored == 6


def test_the_cli_signs_exports_and_verifies(cli, engine, tmp_path):
    assert cli("db", "upgrade")[0] == 0
    code, out, _ = cli("audit", "checkpoint")
    assert code == 0 and "Signed" in out  # the hub key's making is the first event
    assert cli("cardholder", "add", "--given-names", "Ann", "--surname", "Lee")[0] == 0
    code, out, _ = cli("audit", "checkpoint", "--json")
    assert code == 0 and json.loads(out)["seq"] > 1 and json.loads(out)["new"]
    assert json.loads(cli("audit", "checkpoint", "--json")[1])["new"] is False
    saved = tmp_path / "checkpoints.json"
    assert cli("audit", "checkpoints", "export", "-o", str(saved))[0] == 0
    first = json.loads(saved.read_text())["checkpoints"][0]["seq"]
    code, out, _ = cli("audit", "verify", "--checkpoints", str(saved), "--json")
    assert code == 0 and json.loads(out)["intact"] and json.loads(out)["checkpoints"] == 4
    assert json.loads(out)["key_source"] == "database"
    _rewrite(engine, 1)
    _forget_checkpoints(engine)
    assert cli("audit", "verify")[0] == 0  # the hole, without the copy kept elsewhere
    code, out, _ = cli("audit", "verify", "--checkpoints", str(saved), "--json")
    report = json.loads(out)
    assert code == 1 and report["first_broken"]["seq"] == first and not report["intact"]
    code, _, err = cli("audit", "verify", "--checkpoints", str(saved))
    assert code == 1 and f"Broken at event {first}" in err and "rewritten" in err
    stranger = b64(keys.public_key_bytes(keys.generate_private_key()))
    code, _, err = cli("audit", "verify", "--checkpoints", str(saved), "--hub-key", stranger)
    assert code == 1 and "not signed by the hub's key" in err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert cli("audit", "verify", "--checkpoints", str(garbage))[0] == 2
    assert cli("audit", "verify", "--checkpoints", str(tmp_path / "missing.json"))[0] == 2
    assert cli("audit", "verify", "--hub-key", "AAAA")[0] == 2


def test_the_new_commands_have_help(cli):
    assert cli("audit", "checkpoint", "--help")[0] == 0
    assert cli("audit", "checkpoints", "export", "--help")[0] == 0


def test_statement_is_what_gets_signed():
    document = statement(seq=3, hash="a" * 64, time=__import__("datetime").datetime.now(), kid="k")
    assert set(document) == {"type", "version", "seq", "hash", "time", "kid"}
