"""Posting a signed JSON body to a business's webhook (the standard library's HTTP client)."""

from __future__ import annotations

import urllib.request

from skillcard.domain.business import webhook_signature

SIGNATURE_HEADER = "X-Skillcard-Signature"


def post_signed(url: str, secret: str, body: bytes, timeout: float = 10.0) -> int:
    """POST ``body`` with its HMAC-SHA256 signature; the receiver's HTTP status. Raises
    OSError (urllib's errors included) when it cannot be delivered."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "skillcard-alerts",
            SIGNATURE_HEADER: webhook_signature(secret, body),
        },
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return answer.status
