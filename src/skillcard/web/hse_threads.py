"""The HSE assessment's requests run in threads of their own: a few for answers, two for
webcam snapshots, apart from the thread pool every plain ``def`` route shares.

An HSE candidate's answers and their invigilation snapshots reach the same server process.
A snapshot is the heavy request (a JPEG decoded and re-encoded, then its faces counted); an
answer is light, and it is what the candidate waits for. Both took threads from the one pool
(40 threads a process), with two faults, each measured with ``bench/hse.py``:

- Snapshots arriving faster than faces were counted held every thread while they waited, and
  the answers queued behind them until the client gave up. So a snapshot waits for one of two
  threads of its own, and a backlog of snapshots delays only snapshots.
- With 500 candidates, 40 answers at once in one process spent their time handing the
  interpreter's lock to one another: a third of the machine's CPU went to the kernel, and
  answer-save p99 was 0.7 to 2.3 s. In a few threads (``ANSWER_THREADS``) the same answers wait
  their turn without that churn: an answer's work is CPU in this process and short waits for
  the database, so more threads than a few add nothing but contention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Request

T = TypeVar("T")

# Two: one can decode or store while the other waits for its faces to be counted.
SNAPSHOT_THREADS = 2
ANSWER_THREADS = 2


async def in_snapshot_thread(request: Request, work: Callable[[], T]) -> T:
    """``work()`` in one of this process's snapshot threads."""
    return await to_thread.run_sync(work, limiter=_limiter(request, "snapshot", SNAPSHOT_THREADS))


async def in_answer_thread(request: Request, work: Callable[[], T]) -> T:
    """``work()`` in one of this process's answer threads."""
    return await to_thread.run_sync(work, limiter=_limiter(request, "answer", ANSWER_THREADS))


def _limiter(request: Request, kind: str, threads: int) -> CapacityLimiter:
    limiters = getattr(request.app.state, "hse_threads", None)
    if limiters is None:
        limiters = request.app.state.hse_threads = {}
    limiter = limiters.get(kind)
    if limiter is None:
        limiter = limiters[kind] = CapacityLimiter(threads)
    return limiter
