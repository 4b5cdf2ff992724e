"""Schemathesis over the whole API (issue 14): whatever it sends, never a 5xx.

Every operation of ``/openapi.json`` gets cases that fit its schema and cases that break it,
sent anonymously and as a hub admin, to the real app in process over the real database.
Hypothesis is derandomized, so a run is the same run on every machine: a failure found here
is found again by the next run, and CI does not flicker.
"""

from __future__ import annotations

import contextlib

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from tests.e2e import conftest as e2e
from tests.e2e.conftest import bearer

# Cases per operation, per mode (fits the schema / breaks it), per caller. Hypothesis stops
# early where an operation has fewer distinct cases: 78 operations made about 770 requests
# per caller per database, some 3,000 in all, about a minute of CPU.
EXAMPLES = 6

# Left out, and why: none today. (An operation that ends the caller's own session, such as a
# sign-out or a token's revocation, would belong here: it would turn the rest of the run into
# 401s and prove nothing.)
EXCLUDED: set[tuple[str, str]] = set()


def _send(client: TestClient, case, headers: dict[str, str]):
    kwargs = case.as_transport_kwargs(headers=headers)
    kwargs.pop("cookies", None)
    data = kwargs.pop("data", None)
    if isinstance(data, (bytes, str)):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    if kwargs.get("files"):
        # requests (what schemathesis speaks) writes any value as text; httpx wants text or bytes
        kwargs["files"] = [
            (name, (filename, body if isinstance(body, (str, bytes)) else str(body), *rest))
            for name, (filename, body, *rest) in kwargs["files"]
        ]
    response = client.request(**kwargs)
    response.request.read()  # a multipart body is streamed: schemathesis reads it back
    return response


def _fuzz(client: TestClient, headers: dict[str, str], examples: int) -> list[str]:
    # The schema as the running app serves it. (Not from_asgi: its client starts a second
    # lifespan of the app, kept to the end of the process, with its own database pool.)
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def send_one(case):
                response = _send(client, case, headers)
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except FailureGroup as error:
                    failures.append(f"{case.method} {case.formatted_path}: {error}")

            # Unsatisfiable: nothing in this operation can be broken (it takes no input).
            with contextlib.suppress(Unsatisfiable):
                send_one()
    return failures


# The HTTP tests' fixtures: the app over the test database, and a token per user.
app, files_dir, tokens = e2e.app, e2e.files_dir, e2e.tokens


@pytest.fixture
def client(app, tokens):
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_no_server_error_anonymous(client):
    failures = _fuzz(client, {}, EXAMPLES)
    assert not failures, "\n".join(failures)


def test_no_server_error_as_hub_admin(client, tokens):
    assert client.get("/api/v1/me", headers=bearer(tokens["hub"])).json()["role"] == "hub_admin"
    failures = _fuzz(client, bearer(tokens["hub"]), EXAMPLES)
    assert not failures, "\n".join(failures)
