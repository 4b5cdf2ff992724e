"""What the security headers cost a request: SecurityHeaders round a bare ASGI answer, against
the bare answer alone, in one process, no network. Prints microseconds per request and the
overhead; a Smart Check by number takes a few hundred microseconds of CPU, for scale.

    .venv/bin/python bench/security_headers.py [--requests 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from skillcard.web.security_headers import SecurityHeaders

START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"x")]}
BODY = {"type": "http.response.body", "body": b"{}"}


async def bare(scope, receive, send) -> None:
    await send(dict(START))
    await send(BODY)


async def receive():  # pragma: no cover - never called
    return {"type": "http.request"}


async def sink(message) -> None:
    return None


async def run(app, scope, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await app(scope, receive, sink)
    return (time.perf_counter() - start) / n * 1e6


async def main(n: int) -> None:
    wrapped = SecurityHeaders(bare)
    scopes = {
        "Smart Check lane (/api/v1/check)": "/api/v1/check",
        "a page (/check, camera)": "/check",
        "a page under a prefix (/hse/attempts/7)": "/hse/attempts/7",
        "a page with no rule (/my/cpd)": "/my/cpd",
    }
    for label, path in scopes.items():
        scope = {"type": "http", "method": "GET", "path": path, "scheme": "http"}
        await run(bare, scope, n // 10)  # warm up
        base = min([await run(bare, scope, n) for _ in range(3)])
        with_headers = min([await run(wrapped, scope, n) for _ in range(3)])
        print(
            f"{label:<42} bare {base:5.2f} us  with headers {with_headers:5.2f} us  "
            f"overhead {with_headers - base:5.2f} us/request"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().requests))
