"""A lane answers before FastAPI's middleware and routing, with the app's error handlers."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from skillcard.web.api.schemas import parse_query
from skillcard.web.lanes import AppWithLanes


class Query(BaseModel):
    surname: str = Field(min_length=1, max_length=20)


async def echo(request: Request) -> JSONResponse:
    query = parse_query(Query, request)
    if query.surname == "refuse":
        raise HTTPException(409, "refused")
    if query.surname == "crash":
        raise RuntimeError("a bug")
    return JSONResponse({"surname": query.surname, "app": request.app.title})


async def numbered(request: Request) -> JSONResponse:
    return JSONResponse({"params": request.path_params, "lane": request.scope["lane"]})


@pytest.fixture
def app():
    lanes = {("GET", "/lane"): echo, ("PUT", "/things/{thing_id}/answer"): numbered}
    app = AppWithLanes(title="lanes under test", lanes=lanes)

    @app.middleware("http")
    async def tag(request, call_next):  # stands for every layer a lane goes past
        response = await call_next(request)
        response.headers["x-tagged"] = "yes"
        return response

    @app.exception_handler(HTTPException)
    async def handled(request, error):
        return JSONResponse({"handled": error.detail}, error.status_code)

    @app.get("/routed")
    async def routed():
        return {"routed": True}

    return app


def test_a_lane_answers_without_the_apps_middleware_and_sees_the_app(app):
    answer = TestClient(app).get("/lane", params={"surname": "Müller"})
    assert answer.status_code == 200
    assert answer.json() == {"surname": "Müller", "app": "lanes under test"}
    assert "x-tagged" not in answer.headers


def test_other_paths_and_methods_go_through_fastapi(app):
    client = TestClient(app)
    routed = client.get("/routed")
    assert routed.json() == {"routed": True} and routed.headers["x-tagged"] == "yes"
    posted = client.post("/lane")  # another method: not the lane, so FastAPI routes it
    assert posted.status_code == 404 and posted.headers["x-tagged"] == "yes"


def test_a_lane_with_a_parameter_is_named_by_its_template(app):
    """The template, not the path, is what metrics label the request with: a label per
    attempt would be a metric per attempt."""
    client = TestClient(app)
    answer = client.put("/things/42/answer")
    assert answer.json() == {"params": {"thing_id": "42"}, "lane": "/things/{thing_id}/answer"}
    assert "x-tagged" not in answer.headers
    for elsewhere in ("/things/42/answer/more", "/things//answer", "/things/42"):
        assert client.put(elsewhere).headers["x-tagged"] == "yes"  # FastAPI's, not the lane's
    assert client.get("/things/42/answer").headers["x-tagged"] == "yes"


def test_a_lanes_errors_go_through_the_apps_handlers(app):
    client = TestClient(app)
    assert client.get("/lane", params={"surname": "refuse"}).json() == {"handled": "refused"}
    invalid = client.get("/lane", params={"surname": "x" * 21})
    assert invalid.status_code == 422 and "surname" in invalid.text


def test_an_unhandled_error_in_a_lane_is_a_500(app):
    answer = TestClient(app, raise_server_exceptions=False).get("/lane?surname=crash")
    assert answer.status_code == 500


def test_the_query_is_read_as_starlette_reads_it(app):
    # The last of a repeated name, "+" and percent-escapes decoded as UTF-8, blanks kept.
    client = TestClient(app)
    assert client.get("/lane?surname=first&surname=O%27Br%C3%ADen+Jr").json()["surname"] == (
        "O'Bríen Jr"
    )
    assert client.get("/lane?surname=").status_code == 422
