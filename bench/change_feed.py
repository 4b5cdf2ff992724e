"""The card change feed's figure (issue 17 item 2): how long after its commit a change is on
the pull feed and in its scheme's signed status list. Prints it, asserts nothing.

    .venv/bin/python bench/change_feed.py [--through connector|services] [--changes 1000]
        [--cards 200] [--writers 2] [--port 8520] [--serve-workers 2] [--webhook]
        [--postgres-url postgresql+psycopg://postgres@/feed_bench?host=/var/run/postgresql]

``--through connector`` (the default) makes the changes as a scheme's own system does, PUT
with a connector's token against ``skillcard serve``: see bench/change_feed_connector.py.
``--through services``, the first figure's way, described here: it drops and creates the
database named in the URL, migrates it, issues ``--cards`` cards in one scheme through
``issue_card`` (not measured), then ``--writers`` threads make ``--changes`` status changes in
all (suspend, reinstate, ...) through the card services, each noting the moment its service
returned (the commit is the service's last step). A reader thread follows the feed from its
cursor (``read_changes``, as ``GET /api/v1/changes`` does), and for each new entry fetches the
scheme's signed status list (``trust.status_list``, as ``GET /api/v1/status-lists/{scheme}``
does) until the card's entry says the new status. A change's latency is from its commit to the
later of the two sightings; the goal is a p99 under 1 s over 1,000 changes (DESIGN.md, "Figures
to reach"). The reader polls without pausing, so the figure includes one read of each, not a
poll interval.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))  # run as a script: bench/ beside it
import load

from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from skillcard.adapters.signed_json import gunzip_b64
from skillcard.domain.accounts import Principal
from skillcard.domain.schemes import CardCategory, CardType, Scheme
from skillcard.services.credentials import trust
from skillcard.services.federation import change_feed
from skillcard.services.registry import cardholders, cards

OPERATOR = Principal.operator()
DEFAULT_URL = "postgresql+psycopg://postgres@/feed_bench?host=/var/run/postgresql"


def setup(uows, count: int) -> dict[str, int]:
    """``count`` ECS cards; their numbers -> status list entries."""
    with uows() as uow:
        scheme = Scheme(code="ECS", name="ECS", operator="bench", number_prefix="ECS")
        uow.schemes.add(scheme)
        uow.card_types.add(
            CardType(scheme_id=scheme.id, code="GOLD", title="Installation Electrician",
                     category=CardCategory.SKILLED, validity_months=36, colour="Gold")
        )  # fmt: skip
        uow.commit()
    numbers = []
    for i in range(count):
        holder = cardholders.register_cardholder(
            uow=uows(), who=OPERATOR, given_names="Sam", surname=f"Bench{i}"
        )
        numbers.append(
            cards.issue_card(
                uow=uows(), who=OPERATOR, cardholder_id=holder, scheme_code="ECS",
                card_type_code="GOLD",
            ).number
        )  # fmt: skip
    trust.status_list(uow=uows(), scheme_code="ECS")  # the first list, built once
    entries = {}
    with uows() as uow:
        for number in numbers:
            card = uow.cards.by_number(uow.schemes.by_code("ECS").id, number)
            entries[number] = uow.status_lists.current_entry(card.id)
    return entries


def listed_status(document: dict, index: int) -> str:
    size = int(document["entries"]) // 8
    bits = gunzip_b64(document["bits"], max_bytes=size)
    plane = gunzip_b64(document["suspended"], max_bytes=size)
    byte, mask = index >> 3, 0x80 >> (index & 7)
    if not bits[byte] & mask:
        return "active"
    return "suspended" if plane[byte] & mask else "revoked"


def run(uows, entries: dict[str, int], changes: int, writers: int) -> list[float]:
    numbers = list(entries)
    committed: dict[tuple[str, int], float] = {}
    done = threading.Event()
    start_cursor = change_feed.read_changes(uow=uows(), who=OPERATOR, limit=1000).next
    per_writer = [numbers[i::writers] for i in range(writers)]

    def write(mine: list[str], quota: int) -> None:
        suspended: set[str] = set()
        made = collections.Counter()
        for k in range(quota):
            number = mine[k % len(mine)]
            if number in suspended:
                cards.reinstate_card(uow=uows(), who=OPERATOR, number=number, reason="bench")
                suspended.discard(number)
            else:
                cards.suspend_card(uow=uows(), who=OPERATOR, number=number, reason="bench")
                suspended.add(number)
            committed[(number, made[number])] = time.perf_counter()
            made[number] += 1

    latencies: list[float] = []

    def read() -> None:
        cursor, seen = start_cursor, collections.Counter()
        while len(latencies) < changes:
            page = change_feed.read_changes(uow=uows(), who=OPERATOR, after=cursor, limit=1000)
            cursor = page.next
            for change in page.changes:
                on_feed = time.perf_counter()
                while True:  # the status list says it too (it commits with the change)
                    document = trust.status_list(uow=uows(), scheme_code="ECS")
                    if listed_status(document, entries[change.card_number]) == change.status:
                        break
                listed = time.perf_counter()
                key = (change.card_number, seen[change.card_number])
                seen[change.card_number] += 1
                while key not in committed:  # the writer notes it just after the commit
                    time.sleep(0.0001)
                latencies.append(max(on_feed, listed) - committed[key])
        done.set()

    reader = threading.Thread(target=read)
    reader.start()
    elapsed = run_writers(write, per_writer, changes)
    done.wait(120)
    print(f"{changes} changes by {writers} writers in {elapsed:.1f} s ({changes / elapsed:.0f}/s)")
    return latencies


def report(what: str, latencies: list[float]) -> None:
    ms = sorted(x * 1000 for x in latencies)
    if not ms:
        print(f"{what}: nothing measured")
        return

    def pct(p: float) -> float:
        return ms[max(0, int(len(ms) * p + 0.5) - 1)]

    print(
        f"{what}, {len(ms)} changes: p50 {statistics.median(ms):.1f} ms, p95 {pct(0.95):.1f} ms, "
        f"p99 {pct(0.99):.1f} ms, max {ms[-1]:.1f} ms (goal: p99 under 1,000 ms) "
        f"at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--through", choices=["connector", "services"], default="connector")
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    parser.add_argument("--port", type=int, default=8520, help="skillcard serve's (connector)")
    parser.add_argument("--serve-workers", type=int, default=2)
    parser.add_argument("--webhook", action="store_true", help="time a webhook too (connector)")
    args = parser.parse_args()
    if args.through == "connector":
        import change_feed_connector

        change_feed_connector.main(args, report)
        return
    print(f"load average before: {os.getloadavg()}", flush=True)
    engine = load._fresh_postgres(args.postgres_url)

    def uows(read_only: bool = False) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine, read_only=read_only)

    begun = time.perf_counter()
    entries = setup(uows, args.cards)
    print(f"set up {args.cards} cards in {time.perf_counter() - begun:.1f} s")
    latencies = run(uows, entries, args.changes, args.writers)
    report("commit -> on the pull feed and in the signed status list", latencies)
    print(f"load average after: {os.getloadavg()}")
    engine.dispose()


def run_writers(write, per_writer: list, changes: int) -> float:
    """Share ``changes`` among the writers (one thread each, over its own cards) and run them
    to the end; the seconds they took."""
    writers = len(per_writer)
    started = time.perf_counter()
    threads = [
        threading.Thread(target=write, args=(mine, changes // writers + (i < changes % writers)))
        for i, mine in enumerate(per_writer)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
