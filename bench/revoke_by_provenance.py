"""Revocation by provenance at scale: 50,000 cards from one test centre, on PostgreSQL.

    .venv/bin/python bench/revoke_by_provenance.py [--cards 60000] [--from-centre 50000]
        [--postgres-url URL]

Seeds ``--cards`` synthetic ECS cards (their holders given e-mail addresses), records that
``--from-centre`` of them came through test centre TC-0042 (one ``add_many``, as an import
does), and times: that write, the preview (count and the first 20 holders), and the revocation
itself (every card revoked, one audit event, the status list re-signed, one e-mail per holder
through the outbox), in one transaction. The PostgreSQL database named in the URL is dropped
and created again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(__file__))  # run as a script: bench/ beside it
import load

from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.domain.accounts import Principal
from skillcard.domain.provenance import Source
from skillcard.domain.schemes import CardCategory, CardType, Scheme
from skillcard.services.credentials import status_lists
from skillcard.services.demo.seed import seed_registry
from skillcard.services.registry import provenance

DEFAULT_URL = "postgresql+psycopg://postgres@/provenance_bench?host=/var/run/postgresql"
CENTRE = Source.of("test_centre", "TC-0042", "Northgate Test Centre (fraudulent)")
OPERATOR = Principal.operator()


def main() -> None:
    args = _arguments()
    print(f"skillcard revocation by provenance, {dt.date.today()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, {args.cards:,} cards, {args.from_centre:,} from "
          f"{CENTRE.reference}")  # fmt: skip
    engine = load._fresh_postgres(args.postgres_url)
    try:
        _run(engine, args)
    finally:
        engine.dispose()


def _run(engine: sa.Engine, args: argparse.Namespace) -> None:
    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    _scheme(uow)
    seeded = seed_registry(uow=uow(), cards=args.cards, schemes=1, seed=2026)
    print(f"seed:                       {seeded.seconds:8.2f} s  ({seeded.cards:,} cards)")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE cardholders SET email = 'holder' || id || '@example.test'"
        )
    with uow() as u:
        scheme = u.schemes.by_code("ECS")
        assert scheme is not None
        status_lists.published_status_list(u, scheme.id, dt.datetime.now(dt.UTC))
        u.commit()
        ids = list(u.session.scalars(  # a bench may read the tables directly
            sa.text("SELECT id FROM cards ORDER BY id LIMIT :n"), {"n": args.from_centre}
        ))  # fmt: skip
    started = time.perf_counter()
    with uow() as u:
        u.card_sources.add_many([(i, CENTRE) for i in ids], dt.datetime.now(dt.UTC))
        u.commit()
    print(f"add_many ({len(ids):,} rows):     {time.perf_counter() - started:8.2f} s")
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE card_provenance")
        connection.exec_driver_sql("ANALYZE cards")
    asked = {"who": OPERATOR, "scheme_code": "ECS", "kind": "test_centre", "reference": "TC-0042"}
    started = time.perf_counter()
    seen = provenance.preview(uow=uow(), **asked)
    print(f"preview:                    {time.perf_counter() - started:8.2f} s  "
          f"({seen.count:,} active or suspended cards; first: {seen.sample[0].number} "
          f"{seen.sample[0].holder_name})")  # fmt: skip
    started = time.perf_counter()
    done = provenance.revoke_by_provenance(uow=uow(), reason="fraudulent test centre", **asked)
    print(f"revoke_by_provenance:       {time.perf_counter() - started:8.2f} s  "
          f"({done.count:,} revoked, {done.holders_told:,} holders e-mailed, "
          f"{len(done.changes):,} feed changes)")  # fmt: skip
    with engine.connect() as connection:
        revoked = connection.exec_driver_sql(
            "SELECT count(*) FROM cards WHERE status = 'revoked' "
            "AND status_reason = 'fraudulent test centre'"
        ).scalar()
        mails = connection.exec_driver_sql(
            "SELECT count(*) FROM outbox_messages WHERE kind = 'card.revoked'"
        ).scalar()
        events = connection.exec_driver_sql(
            "SELECT count(*) FROM audit_events WHERE action = 'card.revoke_by_provenance'"
        ).scalar()
    print(f"check: {revoked:,} cards revoked with the reason, {mails:,} mails, {events} event")


def _scheme(uow) -> None:
    with uow() as u:
        scheme = Scheme(code="ECS", name="ECS (bench)", operator="", number_prefix="ECS")
        u.schemes.add(scheme)
        u.card_types.add(
            CardType(
                scheme_id=scheme.id,
                code="GOLD",
                title="Installation Electrician",
                category=CardCategory.SKILLED,
                validity_months=60,
            )
        )
        u.commit()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=60_000)
    parser.add_argument("--from-centre", type=int, default=50_000)
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    return parser.parse_args()


if __name__ == "__main__":
    main()
