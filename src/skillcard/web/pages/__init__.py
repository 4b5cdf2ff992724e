"""Pages for people: Jinja2 and htmx, phone-first, over the same services as the API."""

from fastapi import APIRouter

from skillcard.web.pages import (
    admin,
    auth,
    business,
    cards,
    check,
    check_qr,
    holder,
    home,
    hse,
    mycard,
    outbox,
)

router = APIRouter(include_in_schema=False)
for module in (home, auth, admin, holder, check, check_qr, cards, outbox, business, hse, mycard):
    router.include_router(module.router)
