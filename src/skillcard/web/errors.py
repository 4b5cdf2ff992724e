"""One place that turns errors into answers: JSON for the API, a page for people."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from skillcard.errors import NotAuthenticated, SkillcardError, Unavailable


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def page(request: Request, status: int, title: str, message: str) -> Response:
    from skillcard.web.pages.rendering import render

    return render(request, "error.html", {"title": title, "message": message}, status=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(sa_exc.OperationalError)
    async def _database_down(request: Request, error: sa_exc.OperationalError) -> Response:
        # A lost or refused connection (the primary stopped, say): the page says so plainly.
        return await _skillcard(request, Unavailable())

    @app.exception_handler(SkillcardError)
    async def _skillcard(request: Request, error: SkillcardError) -> Response:
        if wants_json(request):
            return JSONResponse(
                error_body(error.code, error.message), error.http_status, error.headers
            )
        if isinstance(error, NotAuthenticated):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        answer = page(request, error.http_status, "Sorry, that did not work", error.message)
        answer.headers.update(error.headers or {})
        return answer

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(_describe(e) for e in error.errors())
        if wants_json(request):
            return JSONResponse(error_body("invalid_input", problems), 422)
        return page(request, 422, "Please check what you entered", problems)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "error")
        message = error.detail if isinstance(error.detail, str) else "request refused"
        if error.status_code == 404:
            message = "there is nothing at this address"
        if wants_json(request):
            return JSONResponse(error_body(code, message), error.status_code, error.headers)
        return page(
            request,
            error.status_code,
            "Page not found" if error.status_code == 404 else "Sorry, that did not work",
            message,
        )


def _describe(problem: dict) -> str:
    where = ".".join(str(p) for p in problem.get("loc", ()) if p not in ("body", "query", "path"))
    return f"{where}: {problem.get('msg', 'invalid')}" if where else problem.get("msg", "invalid")
