"""The web app: JSON API under /api/v1/ and pages for people, both thin over the services."""

from skillcard.web.app import create_app

__all__ = ["create_app"]
