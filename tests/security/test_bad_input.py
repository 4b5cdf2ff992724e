"""Issue 14, "never a 500 for bad input", on both databases.

- An id past what the database holds (PostgreSQL's INTEGER is 32-bit, SQLite's 64) names no
  record: a 404, on the API and the pages, from a path or a body.
- A NUL character anywhere (path, query, JSON, form, the text of a multipart form) is a 400,
  and nothing is stored; PostgreSQL refuses NUL in text, SQLite stores it.
- Invisible and direction-changing characters are removed from cardholders' names, business
  names and surnames typed for a check, and never reach the surname key.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from skillcard.adapters.db import tables, tables_business, tables_hse
from skillcard.domain.names import INVISIBLE, clean_name, surname_key
from skillcard.services.registry import cardholders
from tests.e2e import conftest as e2e
from tests.e2e.conftest import bearer, sign_in
from tests.factories import OPERATOR

HUGE = [2**31, 2**63, 10**30]
ZWSP, RLO, BOM, LRI, PDI = "\u200b", "\u202e", "\ufeff", "\u2066", "\u2069"


# The HTTP tests' fixtures: the app over the test database, and a token per user.
app, files_dir, tokens = e2e.app, e2e.files_dir, e2e.tokens


@pytest.fixture
def client(app, registry):
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


# --- ids past the database's range -------------------------------------------------------


API_IDS = [
    ("hub", "GET", "/api/v1/cardholders/{}"),
    ("hub", "GET", "/api/v1/cardholders/{}/cpd"),
    ("ann", "GET", "/api/v1/hse/attempts/{}"),
    ("hub", "GET", "/api/v1/applications/{}"),
    ("hub", "POST", "/api/v1/memberships/{}/verify"),
    ("hub", "POST", "/api/v1/qualification-claims/{}/review"),
    ("hub", "GET", "/api/v1/evidence/{}"),
    ("ann", "POST", "/api/v1/applications/{}/submit"),
    ("ann", "POST", "/api/v1/cpd-audits/cases/{}/answer"),
]
BODIES = {"review": {"verified": True}, "answer": {"text": "my answer"}}


def test_an_id_past_the_databases_range_is_not_found_on_the_api(client, tokens):
    # Each of these answered 500 to schemathesis on one database or the other.
    for who, method, path in API_IDS:
        for huge in HUGE:
            body = BODIES.get(path.rsplit("/", 1)[-1])
            response = client.request(
                method, path.format(huge), json=body, headers=bearer(tokens[who])
            )
            assert response.status_code == 404, (path, huge, response.text)
            assert response.json()["error"]["code"] == "not_found"


def test_an_id_past_the_range_in_a_body_is_not_found_and_nothing_is_stored(client, tokens, engine):
    # Found by schemathesis: PostgreSQL refused to write the number (500).
    for huge in [*HUGE, -(2**63) - 1]:
        response = client.put(
            "/api/v1/hse/adjustments",
            json={"cardholder_id": huge, "extra_minutes": 10},
            headers=bearer(tokens["hub"]),
        )
        assert response.status_code == 404, (huge, response.text)
    assert _count(engine, tables_hse.hse_adjustments) == 0


PAGE_IDS = [
    ("ann", "/hse/attempts/{}"),
    ("invigilator", "/invigilation/attempts/{}"),
    ("assessor", "/assessor/cases/{}"),
]


@pytest.mark.parametrize(("who", "path"), PAGE_IDS)
def test_an_id_past_the_databases_range_is_not_found_on_the_pages(client, registry, who, path):
    sign_in(client, registry.emails[who])
    for huge in HUGE:
        response = client.get(path.format(huge))
        assert response.status_code == 404, (huge, response.text[:300])
        assert "<html" in response.text


# --- NUL ---------------------------------------------------------------------------------


def test_nul_in_a_json_body_is_refused_and_nothing_is_stored(client, tokens, engine):
    before = _count(engine, tables.cardholders)
    response = client.post(
        "/api/v1/cardholders",
        json={"given_names": "Ann", "surname": "Sm\x00ith", "email": "n@example.test"},
        headers=bearer(tokens["hub"]),
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "invalid_input",
        "message": "a NUL character (\\0) is not allowed anywhere in what you send",
    }
    assert _count(engine, tables.cardholders) == before


def test_nul_in_a_json_key_or_a_nested_string_is_refused(client, tokens):
    for body in ({"a\x00": 1}, {"items": [{"note": ["x\x00"]}]}):
        response = client.post("/api/v1/verify", json=body, headers=bearer(tokens["hub"]))
        assert response.status_code == 400, response.text


def test_an_escaped_backslash_before_u0000_is_not_a_nul(client, tokens):
    # The text \u0000 (six characters) is harmless: the route answers it as it would any.
    response = client.post(
        "/api/v1/verify",
        content=b'{"qr": "\\\\u0000"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code != 400 or "NUL" not in response.text


def test_json_nested_past_reading_with_an_escaped_nul_is_not_a_server_error(client):
    # The middleware's own look into the body once raised RecursionError here (500).
    deep = b'["\\u0000",' + b"[" * 5000 + b"]" * 5000 + b"]"
    for path in ("/api/v1/verify", "/api/v1/business/register"):
        response = client.post(path, content=deep, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (path, response.text)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/check?number=ECS%00&surname=Smith",  # the Smart Check lane
        "/api/v1/check?number=ECS1&surname=Sm%00ith",
        "/api/v1/schemes/EC%00S",
        "/api/v1/cards?q=Sm%00ith",
        "/check?number=%00",
    ],
)
def test_nul_in_a_query_or_a_path_is_refused(client, path):
    response = client.get(path)
    assert response.status_code == 400, response.text[:300]


def test_nul_in_a_form_is_refused_on_a_page(client, registry):
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": "ann.user@example.test\x00", "password": "x", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "NUL" in response.text


def test_nul_in_a_multipart_text_field_is_refused_but_not_in_a_file(client, tokens):
    headers = bearer(tokens["hub"])
    with_nul = client.post("/api/v1/hse/bank", files={"note": (None, "a\x00b")}, headers=headers)
    assert with_nul.status_code == 400
    a_binary_file = client.post(
        "/api/v1/hse/bank", files={"package": ("bank.zip", b"PK\x00\x00junk")}, headers=headers
    )
    assert a_binary_file.status_code != 400 or "NUL" not in a_binary_file.text
    assert a_binary_file.status_code < 500
    # A file past what is looked into streams on to its route, unread here.
    a_large_file = client.post(
        "/api/v1/hse/bank", files={"package": ("bank.zip", bytes(100_000))}, headers=headers
    )
    assert "NUL" not in a_large_file.text and a_large_file.status_code < 500


def test_nul_from_another_door_is_invalid_input_on_both_databases(uow_factory):
    # The CLI and bulk files reach the database without the web's middleware.
    from skillcard.errors import InvalidInput

    try:
        cardholders.register_cardholder(
            uow=uow_factory(), who=OPERATOR, given_names="A", surname="Sm\x00ith"
        )
    except InvalidInput:
        return  # PostgreSQL refuses it: the engine says so as the project's error
    # SQLite stores NUL: that is the database's own right, nothing is broken.
    with uow_factory(read_only=True) as uow:
        assert uow.cardholders.by_surname_key(surname_key("Sm\x00ith"))


# --- invisible and direction-changing characters ------------------------------------------


def test_invisible_characters_are_removed_from_a_cardholders_names(client, tokens, engine):
    response = client.post(
        "/api/v1/cardholders",
        json={"given_names": f"{BOM}Ann{ZWSP}", "surname": f"Sm{RLO}ith{LRI}{PDI}"},
        headers=bearer(tokens["hub"]),
    )
    assert response.status_code == 201, response.text
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(tables.cardholders).where(tables.cardholders.c.id == response.json()["id"])
        ).one()
    assert (row.given_names, row.surname, row.surname_key) == ("Ann", "Smith", "smith")


def test_a_surname_typed_with_invisible_characters_checks_the_card(client, registry):
    number = registry.cards["bob"]
    response = client.get(
        "/api/v1/check", params={"number": number, "surname": f"S{ZWSP}mi{BOM}th{RLO}"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "valid"


def test_invisible_characters_are_removed_from_a_business_name(client, engine):
    response = client.post(
        "/api/v1/business/register",
        json={
            "name": f"Acme{ZWSP} {RLO}Electrical",
            "company_number": "01234567",
            "address": "1 High Street",
            "admin_name": f"Di{BOM}",
            "email": "di@acme.example",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 201, response.text
    with engine.connect() as connection:
        name = connection.execute(
            sa.select(tables_business.businesses.c.name).where(
                tables_business.businesses.c.id == response.json()["id"]
            )
        ).scalar_one()
    assert name == "Acme Electrical"


def test_a_name_of_only_invisible_characters_is_no_name(uow_factory):
    from skillcard.errors import InvalidInput

    with pytest.raises(InvalidInput):
        cardholders.register_cardholder(
            uow=uow_factory(), who=OPERATOR, given_names="Ann", surname=f"{ZWSP}{RLO}"
        )


@given(
    st.text(alphabet=st.sampled_from(["a", "é", "-", " ", "ß", "O", "'", "Ł", "ı"])),
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from(sorted(INVISIBLE)))),
)
def test_the_surname_key_never_holds_an_invisible_character(surname, insertions):
    spoofed = surname
    for place, character in insertions:
        spoofed = spoofed[:place] + character + spoofed[place:]
    key = surname_key(spoofed)
    assert not INVISIBLE & set(key)
    assert key == surname_key(surname) == surname_key(clean_name(spoofed))


@given(st.text())
def test_a_clean_name_holds_no_invisible_character_and_is_clean_again(name):
    cleaned = clean_name(name)
    assert not INVISIBLE & set(cleaned)
    assert clean_name(cleaned) == cleaned
