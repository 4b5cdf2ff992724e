"""What every page form shares: the CSRF check and where to go after."""

from __future__ import annotations

from skillcard.errors import CsrfFailure
from skillcard.services.accounts import csrf_matches


def check_csrf(expected: str, given: str | None) -> None:
    if not csrf_matches(expected, given):
        raise CsrfFailure(
            "this form has expired or did not come from skillcard: go back, reload the page "
            "and try again"
        )


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never an address elsewhere (open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
