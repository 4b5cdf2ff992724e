"""The security headers on every HTTP response, the Smart Check lane's included.

One pure ASGI middleware in front of everything (see ``AppWithLanes``): it only appends
precomputed header lists to the response's start message, so it costs a check the price of a
dictionary look-up and a list copy. What it adds:

- ``Content-Security-Policy``: pages run only the site's own script and style files (no inline
  script or style, no eval), may not be framed, and send forms only to the site. The JSON API
  gets the minimal ``default-src 'none'; frame-ancestors 'none'``: a browser shown an answer
  runs nothing in it.
- ``X-Frame-Options: DENY`` (browsers too old for ``frame-ancestors``), ``nosniff``, a referrer
  policy that sends no path (card numbers are in paths) to another site.
- ``Permissions-Policy``: camera, microphone and position denied, except the camera on the
  pages that scan a QR code or invigilate an HSE test, and the position on Business Check's
  spot check (``POWERFUL_FEATURES_BY_PAGE``).
- ``Strict-Transport-Security`` only on a request that came over HTTPS: uvicorn's
  ``proxy_headers`` (on in ``skillcard serve``) sets the scheme from a trusted proxy's
  ``X-Forwarded-Proto``, so a TLS-terminating proxy in front counts.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # QR images and camera frames drawn to a canvas
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",  # the service worker that keeps /check working offline
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"

DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")
# Exact paths, or prefixes ending in "/", of the pages that use a powerful feature.
POWERFUL_FEATURES_BY_PAGE: dict[str, tuple[str, ...]] = {
    "/check": ("camera",),  # Smart Check's QR scanner
    "/hse/attempts/": ("camera",),  # the HSE test's ID photo and invigilation snapshots
    "/business/check": ("geolocation",),  # a spot check may carry the checker's position
}


def permissions_policy(allowed: tuple[str, ...] = ()) -> str:
    return ", ".join(
        f"{feature}=(self)" if feature in allowed else f"{feature}=()"
        for feature in DENIED_FEATURES
    )


def _headers(csp: str, permissions: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", permissions.encode()),
    ]


OURS = frozenset(
    (
        b"content-security-policy",
        b"x-frame-options",
        b"x-content-type-options",
        b"referrer-policy",
        b"permissions-policy",
        b"strict-transport-security",
    )
)


def _names(headers: list[tuple[bytes, bytes]]) -> set[bytes]:
    return {name for name, _ in headers}


class SecurityHeaders:
    """Adds the security headers to every HTTP response of ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.page = _headers(PAGE_CSP, permissions_policy())
        self.api = _headers(API_CSP, permissions_policy())
        self.exact: dict[str, list[tuple[bytes, bytes]]] = {}
        self.prefixes: list[tuple[str, list[tuple[bytes, bytes]]]] = []
        for path, features in POWERFUL_FEATURES_BY_PAGE.items():
            headers = _headers(PAGE_CSP, permissions_policy(features))
            if path.endswith("/"):
                self.prefixes.append((path, headers))
            else:
                self.exact[path] = headers
        self.hsts = (b"strict-transport-security", HSTS.encode())

    def headers_for(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        path: str = scope["path"]
        if path.startswith("/api/") and not path.startswith("/api/docs"):
            chosen = self.api
        else:
            exact = self.exact.get(path)
            if exact is not None:
                chosen = exact
            else:
                chosen = self.page
                for prefix, headers in self.prefixes:
                    if path.startswith(prefix):
                        chosen = headers
                        break
        if scope.get("scheme") == "https":
            return [*chosen, self.hsts]
        return chosen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", ()))
                # A response that sets one of these itself (the password reset page's
                # stricter no-referrer) keeps its own: two values would mean the weaker.
                if any(name in OURS for name, _ in own):
                    message["headers"] = own + [h for h in extra if h[0] not in _names(own)]
                else:
                    message["headers"] = own + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
