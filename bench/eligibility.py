"""Eligibility and CPD figures (issue 6): prints them, asserts nothing.

1. Rule evaluations per second, in memory, over 175,000 holders' facts (the domain alone).
2. A whole scheme re-evaluated from the database after a rule change: 175,000 holders of ECS
   cards with their qualifications, HSE passes, CPD and memberships, read in a few streaming
   queries and decided (goal: under 60 s).
3. The time to render one holder's CPD record as a PDF with 200 entries.

    .venv/bin/python bench/eligibility.py [--holders 175000] [--database-url URL]

Without --database-url it builds a SQLite file in a temporary folder (about a minute).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from skillcard.adapters.db import tables, tables_mycard
from skillcard.adapters.db.engine import make_engine
from skillcard.adapters.db.migrate import upgrade
from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.domain.accounts import Principal
from skillcard.domain.cpd import CpdRecord, EvidenceFile
from skillcard.domain.eligibility import Context, HeldFact, HolderFacts
from skillcard.services.mycard.cpd import CpdEntry, CpdLog
from skillcard.services.mycard.cpd_export import cpd_pdf
from skillcard.services.registry.eligibility import shipped_rule_book
from skillcard.services.registry.eligibility_bulk import reevaluate_scheme
from skillcard.services.registry.reference_data import install_reference_data, read_reference_data

QUALS = [
    "NVQ3_ELECTROTECHNICAL",
    "L3_ELECTROTECHNICAL_APPRENTICESHIP",
    "AM2",
    "AM2S",
    "BS7671_2018",
    "CG2365",
    "CG2391",
    "EV_CHARGE_POINT",
]
TODAY = dt.date.today()


def _facts(rng: random.Random) -> tuple[list[tuple[str, str]], list, int]:
    quals = [
        (c, "verified" if rng.random() < 0.9 else "declared")
        for c in rng.sample(QUALS, rng.randint(0, 5))
    ]
    hse = []
    if rng.random() < 0.85:
        passed = TODAY - dt.timedelta(days=rng.randint(0, 1000))
        hse.append((passed, passed + dt.timedelta(days=730)))
    return quals, hse, rng.choice([0, 0, 120, 600, 900, 1200])


def bench_memory(holders: int) -> None:
    rng = random.Random(1)
    people = []
    for _ in range(holders):
        quals, hse, minutes = _facts(rng)
        people.append(
            HolderFacts(tuple(HeldFact(c, s) for c, s in quals), tuple(hse), minutes / 60, ())
        )
    book = shipped_rule_book()
    rules = [
        book.find("ECS", name)
        for name in (
            "INSTALLATION_ELECTRICIAN",
            "DOMESTIC_ELECTRICIAN",
            "DIGITAL_SUPPORT_TECHNICIAN",
        )
    ]
    ctx = Context(today=TODAY)
    for rule in rules:
        started = time.perf_counter()
        eligible = sum(rule.evaluate(f, ctx).eligible for f in people)
        took = time.perf_counter() - started
        print(
            f"in memory, {rule.name}: {holders:,} evaluations in {took:.2f} s = "
            f"{holders / took:,.0f}/s ({eligible:,} eligible)"
        )


def _populate(engine, holders: int) -> None:
    with SqlAlchemyUnitOfWork(engine) as uow:
        install_reference_data(uow, read_reference_data(), actor="bench")
        uow.commit()
    rng = random.Random(2)
    with engine.begin() as c:
        scheme_id = c.scalar(sa.select(tables.schemes.c.id).where(tables.schemes.c.code == "ECS"))
        type_id = c.scalar(
            sa.select(tables.card_types.c.id).where(
                tables.card_types.c.scheme_id == scheme_id,
                tables.card_types.c.code == "INSTALLATION_ELECTRICIAN",
            )
        )
        first = (c.scalar(sa.select(sa.func.max(tables.cardholders.c.id))) or 0) + 1
        for start in range(0, holders, 20_000):
            ids = range(first + start, first + min(start + 20_000, holders))
            c.execute(
                tables.cardholders.insert(),
                [
                    {
                        "id": i,
                        "given_names": "Sam",
                        "surname": f"Bench{i}",
                        "surname_key": f"bench{i}",
                    }
                    for i in ids
                ],
            )
            c.execute(
                tables.cards.insert(),
                [
                    {
                        "scheme_id": scheme_id,
                        "card_type_id": type_id,
                        "cardholder_id": i,
                        "number": f"ECS9{i:07d}",
                        "issued_on": TODAY,
                        "expires_on": TODAY.replace(year=TODAY.year + 3),
                        "status": "active",
                        "status_reason": "",
                    }
                    for i in ids
                ],
            )
            quals, hse, cpd = [], [], []
            for i in ids:
                held, passes, minutes = _facts(rng)
                quals += [
                    {
                        "cardholder_id": i,
                        "qualification_code": q,
                        "achieved_on": TODAY,
                        "certificate_number": "",
                        "verified": s == "verified",
                    }
                    for q, s in held
                ]
                hse += [
                    {
                        "cardholder_id": i,
                        "passed_on": p,
                        "valid_until": v,
                        "source": "admin_entry",
                        "recorded_by": "bench",
                        "recorded_at": dt.datetime.now(dt.UTC),
                    }
                    for p, v in passes
                ]
                if minutes:
                    cpd.append(
                        {
                            "cardholder_id": i,
                            "activity_on": TODAY,
                            "title": "Course",
                            "activity_type": "training_course",
                            "minutes": minutes,
                            "provider": "",
                            "learned": "",
                            "reflection": "",
                            "status": "self_declared",
                            "verified_by": "",
                            "recorded_at": dt.datetime.now(dt.UTC),
                        }
                    )
            c.execute(tables.held_qualifications.insert(), quals)
            c.execute(tables.hse_records.insert(), hse)
            if cpd:
                c.execute(tables_mycard.cpd_records.insert(), cpd)


def bench_database(url: str | None, holders: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        _populate(engine, holders)
        print(
            f"built {holders:,} ECS holders in {time.perf_counter() - started:.1f} s "
            f"({engine.dialect.name})"
        )
        for name in ("INSTALLATION_ELECTRICIAN", "DIGITAL_SUPPORT_TECHNICIAN"):
            started = time.perf_counter()
            result = reevaluate_scheme(
                uow=SqlAlchemyUnitOfWork(engine, read_only=True),
                who=Principal.operator(),
                scheme_code="ECS",
                code=name,
            )
            took = time.perf_counter() - started
            common = result.unmet.most_common(1)[0][0] if result.unmet else "-"
            print(
                f"whole scheme from the database, {name}: {result.holders:,} holders in "
                f"{took:.1f} s = {result.holders / took:,.0f}/s (goal < 60 s); "
                f"{result.eligible:,} eligible; most often unmet: {common}"
            )
        engine.dispose()


def bench_pdf(entries: int = 200) -> None:
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(entries):
        record = CpdRecord(
            cardholder_id=1,
            activity_on=TODAY - dt.timedelta(days=i),
            activity_type="training_course",
            title=f"Course {i}: Ωhm's law, café",
            minutes=90,
            recorded_at=now,
            provider="Sample Training Ltd",
            learned="What the course taught, in a sentence or two. " * 2,
            reflection="How I will use it on site.",
        )
        record.id = i
        files = [EvidenceFile(1, "0" * 64, "application/pdf", 1000, f"cert-{i}.pdf", now)]
        rows.append(CpdEntry(record, files))
    from skillcard.domain.cpd import progress

    log = CpdLog(
        1,
        "Ann Núñez-O'Brien",
        rows,
        progress([r.record for r in rows], TODAY.year, 30),
        "Installation Electrician",
    )
    started = time.perf_counter()
    data = cpd_pdf(log)
    took = time.perf_counter() - started
    print(f"CPD PDF with {entries} entries: {took * 1000:.0f} ms, {len(data) / 1024:.0f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=175_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    bench_memory(args.holders)
    bench_pdf()
    bench_database(args.database_url, args.holders)


if __name__ == "__main__":
    main()
