"""The JSON API under /api/v1/, documented by the generated OpenAPI at /openapi.json."""

from fastapi import APIRouter

from skillcard.web.api import accounts, cardholders, cards, checks, registry

router = APIRouter(prefix="/api/v1")
for module in (registry, cardholders, cards, accounts, checks):
    router.include_router(module.router)
