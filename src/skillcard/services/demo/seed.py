"""The synthetic registry: millions of made-up cardholders and cards, for scale tests and demos.

``seed_registry`` fills the schemes and card types already in the database with people who do
not exist (names from :mod:`skillcard.domain.synthetic_names`) and their cards. The same card
count, scheme count, seed, day and starting database give the same rows, so a benchmark or a
failing test can be run again exactly; all but the cards' status list entries, which are drawn
at random like every card's (:mod:`skillcard.domain.status_indexes`), in bulk per scheme.

The shape is a registry on a typical day: the lead scheme (ECS) holds about 8.3% of the cards
and the rest taper gently; about 5% of people hold a second card in another scheme; about 10%
of cards have expired, 8% expire within 90 days, 1% are suspended and 0.5% revoked.

Rows are made and written in batches straight to the database (COPY on PostgreSQL), never as
domain objects, so 2.1 million cards take little memory. The whole run is one transaction with
its audit event: it is loaded completely or not at all. The schemes' status lists already built
are rebuilt and signed again in it, so that they mark the new suspended and revoked cards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from skillcard.adapters.db.bulk import MadeAhead
from skillcard.domain.accounts import Principal
from skillcard.domain.card_numbers import CardNumberFormat, luhn_check_digit
from skillcard.domain.cards import EXPIRING_SOON_DAYS, CardStatus, add_months
from skillcard.domain.names import surname_key
from skillcard.domain.schemes import CardType, Scheme
from skillcard.domain.status_indexes import IndexSpace
from skillcard.domain.synthetic_names import MIDDLE_NAME_SHARE, POOLS, WOMEN_SHARE, NamePool
from skillcard.errors import InvalidInput
from skillcard.services.audit.audit import record, utcnow
from skillcard.services.clock import card_today
from skillcard.services.credentials.status_lists import entries_for_many, rebuild_status_list
from skillcard.services.ports.registry import BulkRows
from skillcard.services.unit_of_work import AbstractUnitOfWork

LEAD_SCHEME = "ECS"
LEAD_SCHEME_SHARE = 175_000 / 2_100_000
SECOND_CARD_SHARE = 0.05
EXPIRED_SHARE = 0.10
EXPIRING_SHARE = 0.08
SUSPENDED_SHARE = 0.01
REVOKED_SHARE = 0.005
EXPIRED_WITHIN_YEARS = 2  # how long ago the expired cards ran out, at most
BATCH_SIZE = 50_000
FIX = "load the reference data first: skillcard db upgrade"

HOLDER_COLUMNS = ("id", "given_names", "surname", "surname_key", "date_of_birth")
CARD_COLUMNS = (
    "id", "scheme_id", "card_type_id", "cardholder_id", "number",
    "issued_on", "expires_on", "status", "status_reason",
)  # fmt: skip
ENTRY_COLUMNS = ("scheme_id", "status_index", "card_id")

SUSPENSION_REASONS = (
    "card reported as used by someone else: suspended while it is investigated",
    "qualification evidence under review by the scheme",
    "site safety incident under investigation",
)
REVOCATION_REASONS = (
    "qualification certificate found to be forged",
    "card obtained with false identity documents",
    "health, safety and environment test taken by someone else",
)

_EXPIRED, _EXPIRING, _VALID = 0, 1, 2
_ACTIVE, _SUSPENDED, _REVOKED = (
    s.value for s in (CardStatus.ACTIVE, CardStatus.SUSPENDED, CardStatus.REVOKED)
)
_TABLE_BITS = 12  # weighted choices are looked up in tables of 4096 entries

Chosen = list[tuple[Scheme, list[CardType]]]  # the schemes seeded, with their card types
Dates = tuple[str, str, int, int]  # issued, expires, days since issue, class
Row = tuple[Any, ...]
Names = tuple[str, ...]
Keyed = tuple[tuple[str, str], ...]  # (name, its key)


@dataclass(frozen=True)
class SeedSummary:
    cardholders: int
    cards: int
    expired: int
    expiring_soon: int
    suspended: int
    revoked: int
    per_scheme: dict[str, int]
    seconds: float


def seed_registry(
    *,
    uow: AbstractUnitOfWork,
    cards: int,
    schemes: int = 38,
    seed: int = 0,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SeedSummary:
    """Add ``cards`` synthetic cards (and their holders) to the first ``schemes`` schemes, ECS
    first; ``progress(cards_written)`` is called after each batch. All or nothing. The status
    lists are signed again with keys sealed by ``uow.secret_key`` (the caller's settings')."""
    if cards < 0:
        raise InvalidInput("the number of cards cannot be negative")
    started = time.perf_counter()
    today = today or card_today()
    with uow:
        chosen = _choose_schemes(uow, schemes)
        # Lock each scheme's serial row before the tables, the order issue_card takes them in.
        first_serials = [uow.schemes.next_serial(s.id, 0) for s, _types in chosen]
        # The writer shares the unit of work's connection, so the rows, the serials and the
        # audit event commit (or roll back) together.
        spaces = _index_spaces(uow, chosen, cards)
        writer = uow.bulk_rows()
        writer.lock_for_append("cardholders", "cards", "status_entries")
        maker = _RowMaker(
            chosen, seed=seed, today=today, first_serials=first_serials, spaces=spaces,
            shape=_holders_for(cards, len(chosen)),
            first_holder_id=writer.max_id("cardholders") + 1,
            first_card_id=writer.max_id("cards") + 1,
        )  # fmt: skip
        _write(writer, maker, batch_size, progress)
        now = utcnow()
        for (scheme, _types), used, space in zip(chosen, maker.used, spaces, strict=True):
            uow.schemes.next_serial(scheme.id, used)  # later cards continue after these
            uow.status_lists.save_space(scheme.id, space.entries, len(space.taken))
            if used and uow.status_lists.get(scheme.id, lock=True) is not None:
                rebuild_status_list(uow, scheme.id, now)  # a signed list must show these cards
        writer.fix_id_sequence("cardholders")
        writer.fix_id_sequence("cards")
        summary = maker.summary(chosen)
        _audit(uow, summary, seed=seed, today=today)
        uow.commit()
    return dataclasses.replace(summary, seconds=round(time.perf_counter() - started, 3))


def _index_spaces(uow: AbstractUnitOfWork, chosen: Chosen, cards: int) -> list[IndexSpace]:
    """Each scheme's status list entries, sized for the cards it is likely to get."""
    weights = scheme_weights(len(chosen))
    return [
        entries_for_many(uow, scheme.id, round(cards * (1 + SECOND_CARD_SHARE) * weight))
        for (scheme, _types), weight in zip(chosen, weights, strict=True)
    ]


def _write(
    writer: BulkRows,
    maker: _RowMaker,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> None:
    holders = maker.holders_total
    batches = (maker.batch(n, min(batch_size, holders - n)) for n in range(0, holders, batch_size))
    with MadeAhead(batches) as ahead:
        written = 0
        for holder_rows, card_rows, entry_rows in ahead:
            writer.append("cardholders", HOLDER_COLUMNS, holder_rows)
            writer.append("cards", CARD_COLUMNS, card_rows)
            writer.append("status_entries", ENTRY_COLUMNS, entry_rows)
            written += len(card_rows)
            if progress is not None:
                progress(written)


def _choose_schemes(uow: AbstractUnitOfWork, count: int) -> Chosen:
    if count < 1:
        raise InvalidInput("seed at least one scheme")
    found = sorted(uow.schemes.list(), key=lambda s: (s.code != LEAD_SCHEME, s.code))
    if len(found) < count:
        raise InvalidInput(f"there are {len(found)} schemes, not {count}: {FIX}")
    chosen = []
    for scheme in found[:count]:
        card_types = uow.card_types.for_scheme(scheme.id)
        if not card_types:
            raise InvalidInput(f"scheme {scheme.code} has no card types: {FIX}")
        chosen.append((scheme, card_types))
    return chosen


def _holders_for(cards: int, schemes: int) -> tuple[int, int]:
    """How many people hold the cards, and how many of them hold a second one."""
    if schemes == 1:
        return cards, 0  # a second card must be in another scheme
    holders = round(cards / (1 + SECOND_CARD_SHARE))
    return holders, cards - holders


def scheme_weights(count: int) -> list[float]:
    """Each scheme's share of the cards: the lead's fixed, the rest tapering gently."""
    if count == 1:
        return [1.0]
    lead = max(LEAD_SCHEME_SHARE, 2 / (count + 1))  # with few schemes the lead still leads
    rest = [1 / (rank + 20) for rank in range(1, count)]
    return [lead] + [(1 - lead) * w / sum(rest) for w in rest]


def _audit(uow: AbstractUnitOfWork, summary: SeedSummary, *, seed: int, today: dt.date) -> None:
    detail = {
        "seed": seed, "today": today.isoformat(), "cardholders": summary.cardholders,
        "cards": summary.cards, "expired": summary.expired,
        "expiring_soon": summary.expiring_soon, "suspended": summary.suspended,
        "revoked": summary.revoked, "per_scheme": summary.per_scheme,
    }  # fmt: skip
    record(uow, Principal.operator(), "registry.seed", "registry", "synthetic",
           reason="synthetic cardholders and cards", detail=detail)  # fmt: skip


def _weighted_table(weights: list[float]) -> tuple[int, ...]:
    """Indexes laid out in proportion to ``weights``: a uniform pick from it is a weighted one."""
    size, total, cumulative = 1 << _TABLE_BITS, sum(weights), 0.0
    table: list[int] = []
    for index, weight in enumerate(weights):
        cumulative += weight
        table.extend([index] * (round(cumulative / total * size) - len(table)))
    return tuple(table)


def _skewed(items: list[Any]) -> tuple[Any, ...]:
    """``items`` laid out so that the first (commonest) are picked most, the last least."""
    size = 1 << _TABLE_BITS
    return tuple(items[int(len(items) * (j / size) ** 1.5)] for j in range(size))


_LOW = tuple((f"{n:03d}", luhn_check_digit(f"{n:03d}")) for n in range(1000))


def _numberer(number_format: CardNumberFormat) -> Callable[[int], str]:
    """``number_format.number_for``, at a third of the cost for runs of serials: the Luhn sum
    splits into the last three digits' (from a table) and the rest's (once per thousand)."""
    width, prefix = number_format.digits - 4, number_format.prefix
    high_part: list[Any] = [-1, "", 0]

    def number_for(serial: int) -> str:
        if not 1 <= serial <= number_format.capacity:
            return number_format.number_for(serial)  # which says what is wrong
        high, low = divmod(serial, 1000)
        if high != high_part[0]:
            # Appending a 0 puts the high digits at the parity they have in the whole number.
            text = f"{high:0{width}d}" if width else ""
            high_part[:] = high, prefix + text, luhn_check_digit(f"{high}0")
        low_text, low_check = _LOW[low]
        return f"{high_part[1]}{low_text}{(high_part[2] + low_check) % 10}"

    return number_for


def _date_table(today: dt.date, months: int) -> tuple[list[Dates], list[Dates], list[Dates]]:
    """(issued, expires, days since issue, class) for every issue day that makes sense, split
    into expired, expiring within 90 days and valid beyond that."""
    buckets: tuple[list[Dates], list[Dates], list[Dates]] = ([], [], [])
    horizon = (today - add_months(today, -months)).days + 365 * EXPIRED_WITHIN_YEARS
    for days_ago in range(horizon + 1):
        issued = today - dt.timedelta(days=days_ago)
        expires = add_months(issued, months)
        left = (expires - today).days
        kind = _EXPIRED if left < 0 else _EXPIRING if left <= EXPIRING_SOON_DAYS else _VALID
        buckets[kind].append((issued.isoformat(), expires.isoformat(), days_ago, kind))
    return buckets


class _RowMaker:
    """Makes holder and card rows as tuples; keeps the counts the summary reports."""

    def __init__(
        self,
        chosen: Chosen,
        *,
        seed: int,
        today: dt.date,
        first_serials: list[int],
        spaces: list[IndexSpace],
        shape: tuple[int, int],
        first_holder_id: int,
        first_card_id: int,
    ) -> None:
        # Seeded with the first id too, so a second run into the same database makes new people.
        self.rng = random.Random(f"skillcard-seed:{seed}:{first_holder_id}")
        self.next_holder_id, self.next_card_id = first_holder_id, first_card_id
        self.holders_total, self.second_cards = shape
        self.first_serials, self.next_serials = list(first_serials), list(first_serials)
        self.scheme_table = _weighted_table(scheme_weights(len(chosen)))
        self.pool_table = _weighted_table([p.share for p in POOLS])
        self.pools = [_pool_tables(pool) for pool in POOLS]
        dates: dict[int, tuple[list[Dates], list[Dates], list[Dates]]] = {}
        self.schemes: list[tuple[int, Callable[[int], str], list[Any]]] = []
        self.spaces = spaces
        self.entry_rows: list[tuple[int, int, int]] = []
        for scheme, card_types in chosen:
            types: list[Any] = []
            for ct in card_types:
                if ct.validity_months not in dates:
                    dates[ct.validity_months] = _date_table(today, ct.validity_months)
                types.append((ct.id, dates[ct.validity_months]))
            self.schemes.append((scheme.id, _numberer(scheme.number_format), types))
        age_16 = (today - add_months(today, -16 * 12)).days
        self.age_range = (age_16, (today - add_months(today, -71 * 12)).days - 1)
        self.dob = [
            (today - dt.timedelta(days=d)).isoformat() for d in range(self.age_range[1] + 1)
        ]
        self.holders = self.cards = self.suspended = self.revoked = 0
        self.by_kind = [0, 0, 0]

    @property
    def used(self) -> list[int]:
        return [n - f for n, f in zip(self.next_serials, self.first_serials, strict=True)]

    def batch(
        self, first_index: int, count: int
    ) -> tuple[list[Row], list[Row], list[tuple[int, int, int]]]:
        """Rows for holders ``first_index`` .. ``+count`` (0-based within this run)."""
        holder_rows: list[Row] = []
        card_rows: list[Row] = []
        rng, doubles, holders = self.rng, self.second_cards, self.holders_total
        for index in range(first_index, first_index + count):
            # Second cards spread evenly (Bresenham): exactly ``doubles`` of them in the run,
            # so it makes exactly the number of cards asked for.
            second = (index + 1) * doubles // holders > index * doubles // holders
            holder_id = self.next_holder_id
            self.next_holder_id += 1
            first = self.scheme_table[rng.getrandbits(_TABLE_BITS)]
            oldest = self._card(card_rows, holder_id, first)
            if second:
                other = first
                while other == first:
                    other = self.scheme_table[rng.getrandbits(_TABLE_BITS)]
                oldest = max(oldest, self._card(card_rows, holder_id, other))
            holder_rows.append(self._holder(holder_id, oldest))
        self.holders += count
        entry_rows, self.entry_rows = self.entry_rows, []
        return holder_rows, card_rows, entry_rows

    def _holder(self, holder_id: int, oldest_card_days: int) -> tuple[Any, ...]:
        rng = self.rng
        men, women, surnames, women_surnames = self.pools[
            self.pool_table[rng.getrandbits(_TABLE_BITS)]
        ]
        if rng.random() < WOMEN_SHARE:
            given_names, surnames = women, women_surnames
        else:
            given_names = men
        given = given_names[rng.getrandbits(_TABLE_BITS)]
        if rng.random() < MIDDLE_NAME_SHARE:
            middle = given_names[rng.getrandbits(_TABLE_BITS)]
            if middle != given:
                given = f"{given} {middle}"
        surname, key = surnames[rng.getrandbits(_TABLE_BITS)]
        # 16 or older when the oldest card was issued; ages bunch in the middle, as at work.
        low, high = self.age_range
        low = min(high, low + oldest_card_days)
        age = low + int((rng.random() + rng.random()) / 2 * (high - low + 1))
        return (holder_id, given, surname, key, self.dob[age])

    def _card(self, rows: list[Any], holder_id: int, scheme_index: int) -> int:
        """Append one card row; return how many days ago it was issued."""
        rng = self.rng
        scheme_id, number_for, types = self.schemes[scheme_index]
        card_type_id, buckets = types[int(rng.random() * len(types))]
        status, reason, draw = _ACTIVE, "", rng.random()
        if draw < EXPIRED_SHARE:
            wanted = _EXPIRED
        elif draw < EXPIRED_SHARE + EXPIRING_SHARE:
            wanted = _EXPIRING
        else:
            wanted = _VALID
            draw -= EXPIRED_SHARE + EXPIRING_SHARE
            if draw < SUSPENDED_SHARE:
                status, reason = _SUSPENDED, SUSPENSION_REASONS[holder_id % 3]
                self.suspended += 1
            elif draw < SUSPENDED_SHARE + REVOKED_SHARE:
                status, reason = _REVOKED, REVOCATION_REASONS[holder_id % 3]
                self.revoked += 1
        bucket = buckets[wanted] or buckets[_EXPIRING] or buckets[_VALID]  # short validities
        issued, expires, days_ago, kind = bucket[int(rng.random() * len(bucket))]
        days_ago = int(days_ago)
        if not reason:
            self.by_kind[kind] += 1
        serial = self.next_serials[scheme_index]
        self.next_serials[scheme_index] = serial + 1
        card_id = self.next_card_id
        self.next_card_id += 1
        self.cards += 1
        rows.append(
            (card_id, scheme_id, card_type_id, holder_id, number_for(serial),
             issued, expires, status, reason)
        )  # fmt: skip
        self.entry_rows.append((scheme_id, self.spaces[scheme_index].draw(), card_id))
        return days_ago

    def summary(self, chosen: Chosen) -> SeedSummary:
        return SeedSummary(
            cardholders=self.holders,
            cards=self.cards,
            expired=self.by_kind[_EXPIRED],
            expiring_soon=self.by_kind[_EXPIRING],
            suspended=self.suspended,
            revoked=self.revoked,
            per_scheme={s.code: n for (s, _t), n in zip(chosen, self.used, strict=True)},
            seconds=0.0,  # filled in once committed
        )


def _pool_tables(
    pool: NamePool,
) -> tuple[
    tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]
]:
    """A name pool as lookup tables: men's and women's given names, and (surname, key) pairs
    for men and for women (whose surnames some languages inflect)."""

    def with_keys(names: Iterable[str]) -> tuple[tuple[str, str], ...]:
        return _skewed([(name, surname_key(name)) for name in names])

    women_surnames = [pool.surname_for_woman(s) for s in pool.surnames]
    return (
        _skewed(list(pool.men)),
        _skewed(list(pool.women)),
        with_keys(pool.surnames),
        with_keys(women_surnames),
    )
