"""Pages of the HSE assessment."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
