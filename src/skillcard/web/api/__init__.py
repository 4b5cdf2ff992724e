"""The JSON API under /api/v1/, documented by the generated OpenAPI at /openapi.json."""

from fastapi import APIRouter

from skillcard.web.api import (
    accounts,
    audit,
    business,
    cardholders,
    cards,
    changes,
    checks,
    hse,
    mycard,
    open_credentials,
    passwords,
    registry,
    scheme_keys,
)
from skillcard.web.api import trust as trust_api

PREFIX = "/api/v1"
# The app includes these one by one under PREFIX rather than one router of routers: FastAPI
# matches a request level by level, again at each level, so a level less is a third less of
# the routing every request pays. The busiest (the Smart Check, HSE answers) come first, since
# a request is matched against the routers in this order. No two of them share a path.
ROUTERS = (
    checks.router,
    hse.router,
    registry.router,
    cardholders.router,
    cards.router,
    accounts.router,
    passwords.router,
    business.router,
    mycard.router,
    open_credentials.router,
    trust_api.router,
    scheme_keys.router,
    audit.router,
    changes.router,
)

router = APIRouter(prefix=PREFIX)
for module_router in ROUTERS:
    router.include_router(module_router)
