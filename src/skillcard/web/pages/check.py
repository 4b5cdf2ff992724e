"""Smart Check for people on site: type a card number and surname, see a big clear answer.

The form is posted (so a surname never sits in a URL, a proxy's log or a shared tablet's
history) and, with htmx, only the check area is swapped. htmx swaps only 2xx answers, so its
partial answers are 200 with the problem shown; without JavaScript the page says the same with
the real status (422, 429).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool

from skillcard.adapters import metrics
from skillcard.errors import InvalidCardNumber, InvalidInput, NotFound, RateLimited
from skillcard.services.registry import registry
from skillcard.web.checking import check_a_card, with_photo_url
from skillcard.web.deps import AnonymousClient, OptionalPageSession, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.rendering import render

router = APIRouter()


def _page(request: Request, uows: Uows, session, status: int = 200, headers=None, **context):
    who, csrf = session or (None, "")
    context = {
        "who": who,
        "csrf_token": csrf,
        "form": {"number": "", "surname": "", "scheme": "", "site": ""},
        "errors": {},
        "result": None,
        "problem": "",
        # from the replica if there is one: the page shows while the primary is down
        "schemes": uows.replica_first(lambda uow: registry.list_schemes(uow=uow)),
        **context,
    }
    if request.headers.get("hx-request"):
        return render(request, "_number_check.html", context)
    response = render(request, "check.html", context, status=status)
    response.headers.update(headers or {})
    return response


@router.get("/check")
def check_form(request: Request, uows: Uows, session: OptionalPageSession):
    return _page(request, uows, session)


def _missing(form: dict[str, str]) -> dict[str, str]:
    errors = {}
    if not form["number"].strip():
        errors["number"] = "Enter the card number"
    if not form["surname"].strip():
        errors["surname"] = "Enter the surname on the card"
    return errors


@router.post("/check")
async def check(
    request: Request,
    uows: Uows,
    client: AnonymousClient,
    session: OptionalPageSession,
    number: Annotated[str, Form(max_length=40)] = "",
    surname: Annotated[str, Form(max_length=100)] = "",
    scheme: Annotated[str, Form(max_length=20)] = "",
    site: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    who = session[0] if session else None
    if session:  # a signed-in check is made in the user's name: it must come from our form
        check_csrf(session[1], csrf_token)
    form = {"number": number, "surname": surname, "scheme": scheme, "site": site}
    errors = _missing(form)
    if errors:
        return await run_in_threadpool(_page, request, uows, session, 422, form=form, errors=errors)
    asked = {"number": number, "surname": surname, "scheme_code": scheme or None,
             "who": who, "client": client, "site": site}  # fmt: skip
    try:
        # The API's way: on PostgreSQL the check desk, which answers from the replica too
        result, after = await check_a_card(request, asked)
    except RateLimited as limited:
        return await run_in_threadpool(
            _page, request, uows, session, 429, limited.headers, form=form, problem=limited.message
        )
    except (InvalidInput, NotFound) as problem:
        field = {InvalidCardNumber: "number", NotFound: "scheme"}.get(type(problem), "surname")
        return await run_in_threadpool(
            _page, request, uows, session, 422, form=form, errors={field: problem.message}
        )
    metrics.CHECKS.labels("page", result.view.outcome.value).inc()
    page = await run_in_threadpool(
        _page, request, uows, session, form=form, result=with_photo_url(request, result)
    )
    page.background = after
    return page
