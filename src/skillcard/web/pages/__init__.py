"""Pages for people: Jinja2 and htmx, phone-first, over the same services as the API."""

from fastapi import APIRouter

from skillcard.web.pages import (
    admin,
    auth,
    business,
    cards,
    check,
    check_qr,
    connectors,
    holder,
    home,
    hse,
    hse_bank_pages,
    hub,
    mycard,
    outbox,
    passwords,
    phone_card,
    revocations,
    share_pages,
    suspect_reports,
    tokens,
    well_known,
)

# Included one by one by the app (see skillcard.web.api.ROUTERS for why), busiest first.
ROUTERS = (
    check.router,
    hse.router,
    home.router,
    auth.router,
    passwords.router,
    admin.router,
    hse_bank_pages.router,
    holder.router,
    check_qr.router,
    cards.router,
    phone_card.router,
    outbox.router,
    business.router,
    mycard.router,
    share_pages.router,
    tokens.router,
    connectors.router,
    hub.router,
    revocations.router,
    suspect_reports.router,
    well_known.router,
)

router = APIRouter(include_in_schema=False)
for module_router in ROUTERS:
    router.include_router(module_router)
