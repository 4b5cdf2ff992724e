"""Races of first use: two transactions making a scheme's first signing key at once leave
exactly one current key, and two first audited changes both land in the chain."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from skillcard.adapters.db import tables_trust
from skillcard.domain.signing import SigningKeyRecord
from skillcard.domain.trust import KeyStatus
from skillcard.services.audit.audit import record, verify_audit_chain
from skillcard.services.credentials import signing
from tests.factories import OPERATOR, add_scheme

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def current_keys(engine, scheme_id) -> int:
    k = tables_trust.signing_keys.c
    with engine.connect() as connection:
        return connection.scalar(
            sa.select(sa.func.count()).where(
                k.scheme_id.is_(None) if scheme_id is None else k.scheme_id == scheme_id,
                k.status == str(KeyStatus.CURRENT),
            )
        )


def scheme_id(uow_factory, code: str) -> int:
    with uow_factory() as uow:
        return uow.schemes.by_code(code).id


@pytest.mark.parametrize("owner", ["ECS", None], ids=["scheme", "hub"])
def test_a_second_current_key_is_not_stored_and_the_transaction_goes_on(uow_factory, engine, owner):
    if owner is not None:
        add_scheme(uow_factory, owner, owner)
        owner = scheme_id(uow_factory, owner)
    with uow_factory() as uow:
        assert signing.ensure_key(uow, owner, NOW)
        uow.commit()
    with uow_factory() as uow:
        twin = SigningKeyRecord(
            kid="twin-key", scheme_id=owner, public_key=b"p", private_key_encrypted=b"s",
            valid_from=NOW,
        )  # fmt: skip
        assert uow.signing_keys.add(twin) is False
        assert uow.signing_keys.current(owner) is not None  # the transaction is still usable
        uow.commit()
    assert current_keys(engine, owner) == 1


def test_first_use_at_the_same_moment_makes_one_key(uow_factory, engine, database_url):
    # On SQLite a writer takes the lock at BEGIN, so the two queue rather than overlap; the
    # outcome must be the same.
    overlapping = database_url.startswith("postgresql")
    add_scheme(uow_factory, "ECS", "ECS")
    ecs = scheme_id(uow_factory, "ECS")
    both_looked = threading.Barrier(2, timeout=10)
    made, errors = [], []

    def first_use() -> None:
        try:
            with uow_factory() as uow:
                if overlapping:
                    assert uow.signing_keys.current(ecs) is None
                    both_looked.wait()  # each has seen no key before either makes one
                made.append(signing.ensure_key(uow, ecs, NOW))
                kid, _private = signing.current_signer(uow, ecs, now=NOW)
                uow.commit()
                made.append(kid)
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(x for x in made if isinstance(x, bool)) == [False, True]
    kids = {x for x in made if isinstance(x, str)}
    assert len(kids) == 1  # both signed with the one key that was kept
    assert current_keys(engine, ecs) == 1


def test_two_first_audited_changes_at_once_both_land(uow_factory, database_url):
    overlapping = database_url.startswith("postgresql")
    both_ready = threading.Barrier(2, timeout=10)
    errors = []

    def first_change(n: int) -> None:
        try:
            with uow_factory() as uow:
                if overlapping:
                    both_ready.wait()
                record(uow, OPERATOR, "test.first", "test", str(n), now=NOW)
                uow.commit()
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=first_change, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert verify_audit_chain(uow=uow_factory(), who=OPERATOR) == (2, None)
