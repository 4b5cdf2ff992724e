"""What the API accepts and returns. Responses never carry secrets or password hashes."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (401, 403, 404, 409, 422)
}
Query = TypeVar("Query", bound=BaseModel)


def query_parameters(model: type[BaseModel], where: str = "query") -> list[dict]:
    """OpenAPI's description of a query that a route reads with :func:`parse_query` (or of
    the path's parameters, ``where="path"``, read with :func:`parse_path`)."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "description": field.get("description", ""),
            "schema": {k: v for k, v in field.items() if k not in ("description", "title")},
        }
        for name, field in schema["properties"].items()
    ]


def parse_query(model: type[Query], request) -> Query:
    """The request's query as ``model``, or the same 422 as FastAPI's own parameters give."""
    # What Starlette's request.query_params holds (the last of repeated names), without
    # building it: the busiest endpoint reads its query once.
    query = dict(parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True))
    return _validated(model, query)


def parse_path(model: type[Query], request) -> Query:
    """The path's parameters as ``model`` (for an endpoint that takes only the request: a
    lane, see ``web/lanes.py``), or the same 422 as FastAPI's own parameters give."""
    return _validated(model, request.scope.get("path_params", {}))


def json_body(model: type[Query]) -> dict:
    """OpenAPI's description of a JSON body that a route reads with :func:`parse_body`."""
    schema = model.model_json_schema()
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def parse_body(model: type[Query], body: bytes) -> Query:
    """A JSON body as ``model``, or the same 422 as FastAPI's own body handling gives."""
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from None


def _validated(model: type[Query], values: dict) -> Query:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from None


class _FromDomain(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SchemePublic(_FromDomain):
    code: str
    name: str
    operator: str
    trade: str
    website: str
    number_prefix: str
    number_digits: int
    sample: bool = Field(description="true where the scheme is sample data, not a real scheme")


class CardTypePublic(_FromDomain):
    code: str
    title: str
    category: str
    colour: str
    validity_months: int
    cpd_target_hours: int
    renewable: bool
    sample: bool


class OccupationPublic(_FromDomain):
    code: str
    title: str
    card_type_id: int


class QualificationPublic(_FromDomain):
    code: str
    title: str
    level: str
    awarding_body: str
    tags: tuple[str, ...]


class InstitutePublic(_FromDomain):
    code: str
    name: str
    qualifying_grades: tuple[str, ...]
    recognised_for: str


class CardPublic(_FromDomain):
    number: str
    scheme_code: str
    scheme_name: str
    card_type_code: str
    card_type_title: str
    colour: str
    category: str
    holder_id: int
    holder_name: str
    occupation: str
    issued_on: dt.date
    expires_on: dt.date
    status: str = Field(description="stored status: active, suspended, revoked or replaced")
    state: str = Field(description="status on today's date: valid, expired, not_yet_valid, ...")
    expiring_soon: bool
    status_reason: str


class CardSource(BaseModel):
    kind: str = Field(max_length=40, description="test_centre, training_provider, ...")
    reference: str = Field(max_length=100, description="e.g. a test centre's code, TC-0042")
    name: str = Field("", max_length=200)


class CardIssue(BaseModel):
    cardholder_id: int
    scheme: str = Field(max_length=20)
    card_type: str = Field(max_length=60)
    occupation: str | None = Field(None, max_length=60)
    issued_on: dt.date | None = None
    sources: list[CardSource] = Field(
        [], max_length=5, description="where the card came from: test centre, training provider"
    )


class Reason(BaseModel):
    reason: str = Field("", max_length=500)


class CardholderCreate(BaseModel):
    given_names: str = Field(min_length=1, max_length=100)
    surname: str = Field(min_length=1, max_length=100)
    date_of_birth: dt.date | None = None
    email: str | None = Field(None, max_length=254)


class CardholderCreated(BaseModel):
    id: int


class HeldQualificationIn(BaseModel):
    qualification: str = Field(max_length=60)
    achieved_on: dt.date
    certificate_number: str = Field("", max_length=100)


class HeldQualificationPublic(_FromDomain):
    code: str
    title: str
    achieved_on: dt.date
    certificate_number: str
    verified: bool


class MembershipPublic(_FromDomain):
    institute_code: str
    number: str
    grade: str
    verified: bool


class CardholderPublic(_FromDomain):
    id: int
    given_names: str
    surname: str
    date_of_birth: dt.date | None
    email: str | None
    cards: list[CardPublic]
    qualifications: list[HeldQualificationPublic]
    memberships: list[MembershipPublic]


class TokenRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    name: str = Field("api", max_length=100, description="what the token is for")
    days: int | None = Field(
        None, ge=1, le=365, description="how long it lasts (default: the server's setting)"
    )


class TokenIssued(BaseModel):
    token: str
    token_type: str = "bearer"


class ApiTokenOut(BaseModel):
    """A token as its holder sees it: never its secret."""

    id: int
    user_email: str
    name: str
    state: str = Field(description="active, expired or revoked")
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="to the minute")
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


class Me(BaseModel):
    email: str
    role: str
    scheme_id: int | None
    cardholder_id: int | None


class UserCreate(BaseModel):
    email: str = Field(max_length=254)
    display_name: str = Field("", max_length=200)
    role: str
    password: str = Field(max_length=200)  # the rule for new passwords says what is wrong
    scheme: str | None = None
    cardholder_id: int | None = None


class UserCreated(BaseModel):
    id: int
