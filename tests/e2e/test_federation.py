"""Issue 17's proof, end to end: schemes federate.

A stand-in scheme system (tests/scheme_system.py, a separate program speaking only HTTP to a
live hub with its connector's token) registers a key it holds itself, imports 10,000 cards in
one NDJSON file and 100 more in a second, and signs credentials for some of them. The scheme's
admin revokes the second file's 100 by their provenance (the import). Then:

- `skillcard verify` with a bundle exported after the revocation, and the check PWA offline,
  say a revoked card's scheme-signed credential is `revoked` and another's `valid`;
- a business's pull feed, read by cursor page by page, holds exactly the changes to its
  workforce's cards since they joined it, in order, each once, and its webhook got the same
  entries (same cursors, same order, each once, each body's HMAC valid);
- the scheme's pull feed (the connector's token) holds every one of the 10,100 cards' issue
  and the 100 revocations, each once, in order.

SQLite only (the browser's live server); the imports and the feeds run on PostgreSQL in their
own tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from skillcard.config import Settings
from skillcard.domain.business import webhook_signature
from skillcard.services.accounts import accounts
from skillcard.services.business import webhooks, workforce
from skillcard.web import create_app
from tests.e2e.browser_support import serving, sqlite_database_url
from tests.e2e.conftest import bearer
from tests.factories import OPERATOR, business_budget
from tests.integration.test_business import register
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.browser
database_url = sqlite_database_url
SYSTEM = Path(__file__).parents[1] / "scheme_system.py"
MANY, FEW = 10_000, 100
FIRST = 500_001  # the stand-in's serials: clear of the registry's cards


@pytest.fixture
def receiver(tmp_path):
    found = Receiver(tmp_path)
    yield found
    found.close()


@pytest.fixture
def hub(registry, database_url, engine, files_dir, receiver, monkeypatch):
    """The real app served live, running its jobs in its own process: the imports, and the
    scheduled webhook deliveries, which post through the test-only policy that lets them reach
    the local receiver (production's refuses 127.0.0.1)."""
    monkeypatch.setattr(webhooks, "default_poster", lambda _settings: receiver.poster())
    settings = Settings(
        environment="test", database_url=database_url, files_dir=files_dir, jobs_in_process=True
    )
    with serving(create_app(settings, engine=engine)) as base:
        yield base


def test_a_scheme_system_federates_with_the_hub(
    hub, registry, tokens, uow_factory, receiver, cli, page, tmp_path, request
):
    http = httpx.Client(base_url=hub, timeout=60)
    request.addfinalizer(http.close)
    ecs_admin = bearer(tokens["ecs_admin"])
    made = http.post("/api/v1/schemes/ECS/connectors", json={"name": "cardsys"}, headers=ecs_admin)
    assert made.status_code == 201, made.text
    with uow_factory() as uow:
        digits = uow.schemes.by_code("ECS").number_digits

    def system(*args: str) -> dict:
        done = subprocess.run(
            [sys.executable, str(SYSTEM), "--hub", hub, "--token", made.json()["token"],
             "--workdir", str(tmp_path), "--digits", str(digits), *args],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    # 1. the scheme registers its own public key
    kid = system("register-key")["kid"]

    # 2-3. it imports 10,000 cards in one file and 100 in another: every row created
    many = system("import", "cards.ndjson", str(FIRST), str(MANY))
    few = system("import", "centre-7.ndjson", str(FIRST + MANY), str(FEW))
    assert (many["created"], few["created"]) == (MANY, FEW)
    assert many["results_header"] == "line,number,outcome,reason,card_id"
    kept, doomed = many["numbers"], few["numbers"]
    sources = http.get(f"/api/v1/cards/{doomed[0]}/sources", headers=ecs_admin).json()
    source = {"kind": "import", "reference": f"IMPORT-{few['id']}".upper()}
    assert [{k: s[k] for k in source} for s in sources] == [source]

    # a business has some of them on its workforce, and a webhook to the local receiver
    _business, boss = register(uow_factory)
    secret = webhooks.set_webhook(
        uow=uow_factory(), who=boss, url=receiver.url(), vet=receiver.vetter()
    )
    workers = [kept[0], kept[1], doomed[0], doomed[1], doomed[2]]
    for number in workers:
        card = http.get(f"/api/v1/cards/{number}", headers=ecs_admin).json()
        workforce.add_worker(
            uow=uow_factory(), who=boss, budget=business_budget(), number=number,
            surname=card["holder_name"].split()[-1],
        )  # fmt: skip
    business = bearer(
        accounts.create_api_token(
            uow=uow_factory(), who=OPERATOR, email="boss@acme.test", name="hr", days=1
        )
    )
    assert system("renew", kept[0], doomed[0]) == {kept[0]: "updated", doomed[0]: "updated"}

    # 4. the scheme signs two cards' credentials with its own key
    texts = system("sign", kept[1], doomed[1])

    # 5. the scheme's admin previews, then revokes, the second file's 100 by their source
    url = "/api/v1/schemes/ECS/revocations"
    preview = http.post(f"{url}/preview", json=source, headers=ecs_admin)
    assert preview.status_code == 200 and preview.json()["count"] == FEW, preview.text
    reason = "issued from a test centre's fraudulent results"
    done = http.post(url, json={**source, "reason": reason}, headers=ecs_admin)
    assert (done.status_code, done.json()["revoked"]) == (200, FEW), done.text
    assert done.json()["businesses_told"] == 1

    # 6. skillcard verify, with a bundle exported after the revocation, and the PWA offline
    bundle = tmp_path / "bundle.json"
    assert cli("trust", "export", "-o", str(bundle))[0] == 0
    verdicts = {}
    for number, text in texts.items():
        _code, out, err = cli("verify", "--text", text, "--bundle", str(bundle), "--json")
        answer = json.loads(out or err)
        assert answer["key_id"] == kid
        verdicts[number] = answer["outcome"]
    assert verdicts == {kept[1]: "valid", doomed[1]: "revoked"}
    assert _checked_offline(page, hub, texts) == verdicts

    # 7. the business's pull feed, page by page: its workforce's changes since they joined it
    # (the contract: a business sees a card from the moment it is added, so the cards' issue,
    # which came before, is not on it), renewed then revoked, each once
    feed = _pull(http, business, limit=2)
    seen = [(c["card_number"], c["kind"], c["status"]) for c in feed]
    assert len({c["cursor"] for c in feed}) == len(feed)
    assert seen[:2] == [(kept[0], "renewed", "active"), (doomed[0], "renewed", "active")]
    assert sorted(seen[2:]) == [(n, "status", "revoked") for n in sorted(doomed[:3])]
    assert all(c["detail"]["reason"] == reason for c in feed[2:])
    # the webhook got the same entries, posted by the delivery job each change enqueues:
    # same cursors, same order, each once, signed; one body per transaction
    deadline = time.monotonic() + 90
    while len(receiver.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    posted = []
    for _path, headers, body in receiver.received:
        assert headers["X-Skillcard-Signature"] == webhook_signature(secret, body)
        posted += json.loads(body)["changes"]
    assert posted == feed

    # the scheme's own pull feed: all 10,100 issued, 2 renewed, 100 revoked, each once
    scheme_feed = system("feed")
    assert scheme_feed["pages"] > (MANY + FEW) // 1000
    imported = set(kept + doomed)
    changes = [c for c in scheme_feed["changes"] if c["card_number"] in imported]
    cursors = [c["cursor"] for c in scheme_feed["changes"]]
    assert len(set(cursors)) == len(cursors)
    kinds = Counter((c["card_number"], c["kind"]) for c in changes)
    assert set(kinds.values()) == {1}
    expected = {"issued": MANY + FEW, "renewed": 2, "status": FEW}
    assert Counter(kind for _number, kind in kinds) == expected
    revoked = {c["card_number"] for c in changes if c["kind"] == "status"}
    assert revoked == set(doomed)
    assert [c["kind"] for c in changes[-FEW:]] == ["status"] * FEW  # after every issue


def _pull(http: httpx.Client, auth: dict, limit: int) -> list[dict]:
    """A reader's loop: ask after the cursor kept, keep ``next``, stop on an empty page."""
    entries, cursor = [], None
    while True:
        params = {"limit": limit, **({"after": cursor} if cursor else {})}
        page = http.get("/api/v1/changes", params=params, headers=auth)
        assert page.status_code == 200, page.text
        body = page.json()
        if not body["changes"]:
            assert body["next"] == cursor  # the cursor stays while nothing is new
            return entries
        assert len(body["changes"]) <= limit and body["next"] == body["changes"][-1]["cursor"]
        entries += body["changes"]
        cursor = body["next"]


def _checked_offline(page, hub: str, texts: dict[str, str]) -> dict[str, str]:
    """The check PWA, offline, on each credential: the outcome it shows."""
    page.goto(f"{hub}/check")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    page.wait_for_function("() => localStorage.getItem('skillcard-bundle') !== null")
    page.context.set_offline(True)
    page.reload()  # served by the service worker from its cache
    page.locator("#offline-note").wait_for()
    outcomes = {}
    for number, text in texts.items():
        page.get_by_label("Or paste the code's text").fill(text)
        page.get_by_role("button", name="Check QR code").click()
        shown = page.locator(f'.check-result[data-checked="offline"]:has-text("{number}")')
        shown.wait_for()
        outcomes[number] = shown.get_attribute("data-outcome")
    return outcomes
