"""The JSON API under /api/v1/, documented by the generated OpenAPI at /openapi.json."""

from fastapi import APIRouter

from skillcard.web.api import accounts, business, cardholders, cards, checks, hse, mycard, registry
from skillcard.web.api import trust as trust_api

router = APIRouter(prefix="/api/v1")
for module in (registry, cardholders, cards, accounts, checks, business, hse, mycard):
    router.include_router(module.router)
router.include_router(trust_api.router)
