"""Webcam snapshots are checked, stored and searched for faces in threads of their own.

An HSE candidate's answers and their invigilation snapshots reach the same server process.
A snapshot is the heavy request (a JPEG decoded and re-encoded, then the Haar cascade, which
one lock per process lets run once at a time: about 10 ms on a quiet core, ten to fifty
times that on a busy one); an answer is light, and it is what the candidate waits for. Run in
the thread pool every plain ``def`` route and ``run_in_threadpool`` share (40 threads),
snapshots arriving faster than the detector clears them held every thread while they waited
for its lock, and the answers queued behind them: on a busy machine answers timed out with
snapshots on and not without (bench/README.md, "HSE with snapshots"). So a snapshot waits
for one of a few threads of its own without holding one of the pool's, and a backlog of
snapshots delays only snapshots. The image work itself now runs in a helper process at the
lowest CPU priority (``adapters/image_helper.py``): these threads wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Request

T = TypeVar("T")

# Two: one can decode or store while the other holds the face detector's lock. More would
# only wait for that lock.
SNAPSHOT_THREADS = 2


async def in_snapshot_thread(request: Request, work: Callable[[], T]) -> T:
    """``work()`` in one of this process's snapshot threads."""
    state = request.app.state
    if getattr(state, "snapshot_threads", None) is None:
        state.snapshot_threads = CapacityLimiter(SNAPSHOT_THREADS)
    return await to_thread.run_sync(work, limiter=state.snapshot_threads)
