"""A stand-in for a scheme's own card system (issue 17's end-to-end proof, see
tests/e2e/test_federation.py). It is run as a separate program and speaks only HTTP to a live
hub, with its connector's token, as a scheme's system would; it signs with a key it holds
itself, through docs/examples/scheme_sign.py. It knows its own card numbers (prefix, digits,
Luhn check digit) and imports nothing of skillcard.

    python tests/scheme_system.py --hub URL --token T --workdir DIR COMMAND ...

    register-key                      make a P-256 key pair, register the public half
    import NAME FIRST COUNT           send cards FIRST..FIRST+COUNT-1 as one NDJSON file
    renew NUMBER...                   a newer version of each card, with a later expiry
    sign NUMBER...                    the QR text of each card, signed with the scheme's key
    feed                              the scheme's pull feed from its start, page by page

Each command prints one JSON document; a failure exits 1 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import sys
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

EXAMPLE = Path(__file__).parents[1] / "docs" / "examples" / "scheme_sign.py"
SURNAMES = ["Smith", "Khan", "Okafor", "Jones", "Kowalski", "Patel", "Murphy", "Nguyen"]
FEED_PAGE = 1000


def _example():
    spec = importlib.util.spec_from_file_location("scheme_sign", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def luhn(body: str) -> int:
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


class SchemeSystem:
    def __init__(self, hub: str, token: str, workdir: Path, scheme: str, digits: int) -> None:
        self.http = httpx.Client(
            base_url=hub, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )
        self.workdir, self.scheme, self.digits = workdir, scheme, digits
        self.key_file = workdir / "scheme-key.pem"

    def number(self, serial: int) -> str:
        body = str(serial).zfill(self.digits - 1)
        return f"{self.scheme}{body}{luhn(body)}"

    def record(self, number: str, version: int = 1, expires_on: str = "2029-01-01") -> dict:
        serial = int(number[len(self.scheme) : -1])
        return {
            "scheme": self.scheme, "number": number, "version": version,
            "holder_ref": f"P{serial}", "given_names": "Sam",
            "surname": SURNAMES[serial % len(SURNAMES)], "card_type": "GOLD",
            "issued_on": "2026-01-05", "expires_on": expires_on, "status": "active",
        }  # fmt: skip

    def _ok(self, answer: httpx.Response, *expected: int) -> dict:
        if answer.status_code not in expected:
            raise SystemExit(f"{answer.request.method} {answer.request.url}: {answer.text}")
        return answer.json()

    def register_key(self) -> dict:
        example = _example()
        private = ec.generate_private_key(ec.SECP256R1())
        self.key_file.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        until = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
        body = {
            "public_key": example.public_jwk(private.public_key()),
            "valid_until": until.isoformat(),
        }
        answer = self._ok(self.http.post(f"/api/v1/schemes/{self.scheme}/keys", json=body), 201)
        return {"kid": answer["kid"]}

    def import_file(self, name: str, first: int, count: int) -> dict:
        """Send the cards as one NDJSON file, wait for the import to end, read every row's
        outcome: all must be created."""
        numbers = [self.number(first + i) for i in range(count)]
        path = self.workdir / name
        with path.open("w") as out:
            for number in numbers:
                out.write(json.dumps(self.record(number)) + "\n")
        with path.open("rb") as body:
            started = self._ok(
                self.http.post(
                    f"/api/v1/schemes/{self.scheme}/imports",
                    params={"filename": name},
                    content=body,
                ),
                202,
            )
        url = f"/api/v1/schemes/{self.scheme}/imports/{started['id']}"
        deadline = time.monotonic() + 300
        while True:
            state = self._ok(self.http.get(url), 200)
            if state["status"] in ("done", "refused", "failed"):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"the import did not end: {state}")
            time.sleep(0.2)
        results = self.http.get(state["results_url"]).text.splitlines()
        outcomes = [line.split(",") for line in results[1:]]
        created = [row[1] for row in outcomes if row[2] == "created"]
        if state["status"] != "done" or created != numbers:
            raise SystemExit(f"not every card was created: {state} {results[:5]}")
        return {"id": started["id"], "status": state["status"], "created": state["created"],
                "results_header": results[0], "numbers": numbers}  # fmt: skip

    def renew(self, numbers: list[str]) -> dict:
        outcomes = {}
        for number in numbers:
            record = self.record(number, version=2, expires_on="2030-01-01")
            url = f"/api/v1/schemes/{self.scheme}/cards/{number}"
            outcomes[number] = self._ok(self.http.put(url, json=record), 200)["outcome"]
        return outcomes

    def sign(self, numbers: list[str]) -> dict:
        example = _example()
        private = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        kid = example.key_id(private.public_key())
        texts = {}
        for number in numbers:
            url = f"/api/v1/schemes/{self.scheme}/cards/{number}/claims"
            claims = example.claims_to_sign(self._ok(self.http.get(url), 200))
            texts[number] = example.credential_text(claims, private, kid)
        return texts

    def feed(self) -> dict:
        """The scheme's feed from its start, by cursor, until a page comes back empty."""
        entries, cursor, pages = [], None, 0
        while True:
            params = {"limit": FEED_PAGE, **({"after": cursor} if cursor else {})}
            page = self._ok(self.http.get("/api/v1/changes", params=params), 200)
            pages += 1
            entries += page["changes"]
            if not page["changes"]:
                if page["next"] != cursor:
                    raise SystemExit("the cursor moved on an empty page")
                return {"pages": pages, "changes": entries}
            cursor = page["next"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hub", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--scheme", default="ECS")
    parser.add_argument("--digits", type=int, default=8)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("register-key")
    imported = commands.add_parser("import")
    imported.add_argument("name")
    imported.add_argument("first", type=int)
    imported.add_argument("count", type=int)
    for name in ("renew", "sign"):
        commands.add_parser(name).add_argument("numbers", nargs="+")
    commands.add_parser("feed")
    args = parser.parse_args(argv)
    system = SchemeSystem(args.hub, args.token, args.workdir, args.scheme, args.digits)
    if args.command == "register-key":
        out = system.register_key()
    elif args.command == "import":
        out = system.import_file(args.name, args.first, args.count)
    elif args.command == "renew":
        out = system.renew(args.numbers)
    elif args.command == "sign":
        out = system.sign(args.numbers)
    else:
        out = system.feed()
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
