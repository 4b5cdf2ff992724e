"""The API docs page, with no internet: Swagger UI's files come from the ``fastapi-offline``
package (served under /static/swagger-ui/), and the page starts them with a script file of
ours, so it runs under the site's Content-Security-Policy (FastAPI's own docs page starts
Swagger UI with an inline script, and loads it from a CDN)."""

from __future__ import annotations

import importlib.resources

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from skillcard.web.pages.rendering import render

DOCS_PATH = "/api/docs"
SWAGGER_FILES = "/static/swagger-ui"


def install(app: FastAPI) -> None:
    """Serve the docs page and Swagger UI's files (mounted before ``/static``)."""
    folder = importlib.resources.files("fastapi_offline") / "static"
    app.mount(SWAGGER_FILES, StaticFiles(directory=str(folder)), name="swagger-ui")

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs(request: Request):
        return render(
            request,
            "api_docs.html",
            {"openapi_url": app.openapi_url, "files": SWAGGER_FILES},
        )
