"""The bare reference for ``bench/check_online.py``: a check by number and surname with
nothing but Starlette and psycopg.

    SKILLCARD_DATABASE_URL='postgresql+psycopg://postgres@/skillcard_bench_check?host=...' \
        .venv/bin/uvicorn --app-dir bench reference_check_app:app --workers 2 --port 8101

``GET /api/v1/check?number=&surname=`` does the same indexed look-up as skillcard's check
(cards JOIN cardholders on scheme + number, then the surname key compared in Python), on the
same rows, and answers in JSON. No rate limit, no check log, no ORM, no validation beyond what
the look-up needs: it is the floor that skillcard's figures are set against. The scheme is
found from the number's prefix with a table read once at start-up.

Each worker keeps a few autocommit connections in a queue (psycopg prepares the statement on
its own after a few executions).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import unicodedata

import psycopg
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

CONNECTIONS = int(os.environ.get("REFERENCE_CONNECTIONS", "4"))
LOOKUP = (
    "SELECT c.number, c.status, c.issued_on, c.expires_on, c.card_type_id,"
    " h.given_names, h.surname, h.surname_key"
    " FROM cards c JOIN cardholders h ON h.id = c.cardholder_id"
    " WHERE c.scheme_id = %s AND c.number = %s"
)
_SEPARATORS = re.compile(r"[\s-]+")
_FOLDS = str.maketrans({"ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th"})
_IGNORED = set(" -'’‘`.,\u2010\u2011")


def _conninfo() -> str:
    url = os.environ.get(
        "SKILLCARD_DATABASE_URL",
        "postgresql+psycopg://postgres@/skillcard_bench_check?host=/var/run/postgresql",
    )
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _key(surname: str) -> str:
    # The same key as skillcard.domain.names.surname_key, written out here to stay bare.
    folded = unicodedata.normalize("NFKD", surname.strip().casefold()).translate(_FOLDS)
    return "".join(c for c in folded if not unicodedata.combining(c) and c not in _IGNORED)


def _json(body: dict, status: int = 200) -> Response:
    return Response(
        json.dumps(body, default=str, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
    )


class State:
    pool: asyncio.Queue
    prefixes: list[tuple[str, int]]  # longest prefix first


state = State()


async def check(request):
    number = _SEPARATORS.sub("", request.query_params.get("number", "")).upper()
    key = _key(request.query_params.get("surname", ""))
    if not number or not key:
        return _json({"detail": "number and surname are needed"}, 422)
    scheme_id = next((sid for prefix, sid in state.prefixes if number.startswith(prefix)), None)
    if scheme_id is None:
        return _json({"detail": "not a card number of any scheme"}, 422)
    connection = await state.pool.get()
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(LOOKUP, (scheme_id, number))
            row = await cursor.fetchone()
    finally:
        state.pool.put_nowait(connection)
    if row is None or row[7] != key:
        return _json({"outcome": "no_match", "valid": False, "card_number": number})
    today = dt.date.today()
    status = row[1]
    if status != "active":
        outcome = status
    elif row[3] < today:
        outcome = "expired"
    elif row[2] > today:
        outcome = "not_yet_valid"
    else:
        outcome = "valid"
    return _json({
        "outcome": outcome,
        "valid": outcome == "valid",
        "card_number": row[0],
        "holder_name": f"{row[5]} {row[6]}",
        "card_type_id": row[4],
        "expires_on": row[3].isoformat(),
    })  # fmt: skip


@contextlib.asynccontextmanager
async def lifespan(_app):
    state.pool = asyncio.Queue()
    opened = []
    for _ in range(CONNECTIONS):
        connection = await psycopg.AsyncConnection.connect(_conninfo(), autocommit=True)
        opened.append(connection)
        state.pool.put_nowait(connection)
    async with opened[0].cursor() as cursor:
        await cursor.execute("SELECT number_prefix, id FROM schemes")
        rows = await cursor.fetchall()
    state.prefixes = sorted(rows, key=lambda row: -len(row[0]))
    yield
    for connection in opened:
        await connection.close()


app = Starlette(routes=[Route("/api/v1/check", check)], lifespan=lifespan)
