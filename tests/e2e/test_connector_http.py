"""The scheme connector over HTTP: a scheme admin makes a connector; it PUTs one card and
sends files; another scheme's connector and a business token are refused (issue 17 item 1)."""

from __future__ import annotations

import json
import time

from tests.e2e.conftest import bearer


def _number(uow_factory, serial: int) -> str:
    with uow_factory() as uow:
        return uow.schemes.by_code("ECS").number_format.number_for(serial)


def _record(number: str, version: int = 1, **changes) -> dict:
    values = {
        "number": number, "version": version, "holder_ref": f"H{number}", "given_names": "Eve",
        "surname": "Adeyemi", "card_type": "GOLD", "issued_on": "2026-01-01",
        "expires_on": "2029-01-01", "status": "active",
    }  # fmt: skip
    return {**values, **changes}


def _connector(client, tokens, scheme="ECS", admin="ecs_admin", name="cardsys"):
    answer = client.post(
        f"/api/v1/schemes/{scheme}/connectors", json={"name": name}, headers=bearer(tokens[admin])
    )
    assert answer.status_code == 201, answer.text
    return bearer(answer.json()["token"])


def _wait(client, auth, url):
    for _ in range(200):
        state = client.get(url, headers=auth).json()
        if state["status"] in ("done", "refused", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"the import did not end: {state}")


def test_a_connector_puts_a_card_and_an_older_version_is_409(client, registry, tokens, uow_factory):
    auth = _connector(client, tokens)
    number = _number(uow_factory, 800_001)
    url = f"/api/v1/schemes/ECS/cards/{number}"
    first = client.put(url, json=_record(number, 3), headers=auth)
    assert (first.status_code, first.json()["outcome"]) == (200, "created")
    assert client.put(url, json=_record(number, 3), headers=auth).json()["outcome"] == "unchanged"
    older = client.put(url, json=_record(number, 2, surname="Old"), headers=auth)
    assert older.status_code == 409 and "older than the version on record" in older.text
    bad = client.put(url, json=_record(number, 4, issued_on="yesterday"), headers=auth)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    card = client.get(f"/api/v1/cards/{number}", headers=bearer(tokens["ecs_admin"])).json()
    assert card["holder_name"] == "Eve Adeyemi"


def test_a_connector_may_do_nothing_else_nor_for_another_scheme(
    client, registry, tokens, uow_factory
):
    auth = _connector(client, tokens)
    cpcs = _number(uow_factory, 1)
    assert (
        client.put(
            f"/api/v1/schemes/CPCS/cards/{cpcs}", json=_record(cpcs), headers=auth
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/cards/{registry.cards['ann']}", headers=auth).status_code in (
        403,
        404,
    )
    assert (
        client.post(
            "/api/v1/schemes/CPCS/imports?filename=x.ndjson", content=b"{}\n", headers=auth
        ).status_code
        == 403
    )
    business = bearer(tokens["biz_admin"])
    number = _number(uow_factory, 800_002)
    answer = client.put(
        f"/api/v1/schemes/ECS/cards/{number}", json=_record(number), headers=business
    )
    assert answer.status_code == 403
    refused = client.post(
        "/api/v1/schemes/ECS/connectors",
        json={"name": "mine"},
        headers=bearer(tokens["cpcs_admin"]),
    )
    assert refused.status_code == 403


def test_a_file_import_with_progress_and_results(client, registry, tokens, uow_factory):
    auth = _connector(client, tokens)
    rows = [{"scheme": "ECS", **_record(_number(uow_factory, 800_100 + i))} for i in range(30)]
    rows[7]["card_type"] = "NOPE"
    body = "".join(json.dumps(r) + "\n" for r in rows).encode()
    started = client.post(
        "/api/v1/schemes/ECS/imports?filename=cards.ndjson", content=body, headers=auth
    )
    assert started.status_code == 202, started.text
    done = _wait(client, auth, f"/api/v1/schemes/ECS/imports/{started.json()['id']}")
    assert (done["status"], done["created"], done["refused"], done["done_rows"]) == (
        "done",
        29,
        1,
        30,
    )
    results = client.get(done["results_url"], headers=auth)
    lines = results.text.splitlines()
    assert lines[0] == "line,number,outcome,reason,card_id" and len(lines) == 31
    assert "no card type 'NOPE'" in lines[8]
    again = client.post(
        "/api/v1/schemes/ECS/imports?filename=cards.ndjson", content=body, headers=auth
    )
    done = _wait(client, auth, f"/api/v1/schemes/ECS/imports/{again.json()['id']}")
    assert (done["created"], done["unchanged"]) == (0, 29)


def test_a_csv_snapshot_dry_run_and_bad_files(client, registry, tokens, uow_factory):
    auth = _connector(client, tokens)
    header = (
        "scheme,number,version,holder_ref,given_names,surname,card_type,issued_on,"
        "expires_on,status\n"
    )
    row = f"ECS,{_number(uow_factory, 800_200)},1,H1,Al,Khan,GOLD,2026-01-01,2029-01-01,active\n"
    dry = client.post(
        "/api/v1/schemes/ECS/imports?snapshot=true&dry_run=true",
        content=(header + row).encode(), headers={**auth, "content-type": "text/csv"},
    )  # fmt: skip
    done = _wait(client, auth, f"/api/v1/schemes/ECS/imports/{dry.json()['id']}")
    assert (done["status"], done["missing"], done["created"]) == ("done", 2, 0)  # ann's, bob's
    cut = client.post(
        "/api/v1/schemes/ECS/imports?filename=c.csv",
        content=(header + row[:-10]).encode(),
        headers=auth,
    )
    assert cut.status_code == 422 and "cut short" in cut.text
    wrong = client.post(
        "/api/v1/schemes/ECS/imports?filename=c.csv", content=b"number,name\nx,y\n", headers=auth
    )
    assert wrong.status_code == 422 and "header" in wrong.text
    huge = client.post(
        "/api/v1/schemes/ECS/imports?filename=c.csv",
        content=b"x", headers={**auth, "content-length": str(2 * 1024**3)},
    )  # fmt: skip
    assert huge.status_code == 413 and "larger than 1 GB" in huge.json()["error"]["message"]


def test_a_scheme_admin_makes_a_connector_on_the_page(client, registry, tokens):
    from tests.e2e.conftest import page_csrf, sign_in

    sign_in(client, registry.emails["ecs_admin"])
    page = client.get("/schemes/ECS/connectors")
    assert page.status_code == 200 and "Make a connector" in page.text
    bad = client.post(
        "/schemes/ECS/connectors", data={"name": "No Spaces", "csrf_token": page_csrf(page.text)}
    )
    assert bad.status_code == 422 and "lower-case letters" in bad.text
    made = client.post(
        "/schemes/ECS/connectors", data={"name": "cardsys", "csrf_token": page_csrf(page.text)}
    )
    token = made.text.split('class="token-secret">')[1].split("<")[0]
    assert client.get("/api/v1/schemes/ECS/imports/nope", headers=bearer(token)).status_code == 404
    assert client.get("/schemes/CPCS/connectors").status_code == 403
