"""Pages for people: Jinja2 and htmx, phone-first, over the same services as the API."""

from fastapi import APIRouter

from skillcard.web.pages import admin, auth, cards, check, check_qr, holder, home

router = APIRouter(include_in_schema=False)
for module in (home, auth, admin, holder, check, check_qr, cards):
    router.include_router(module.router)
