"""The load generator of ``check_online.py``: HTTP/1.1 checks sent from a process of its own
(asyncio on uvloop, raw requests with keep-alive, ``raw_http.py``), in an open loop (each
latency counted from when its request was due, so queueing shows) or a closed one (as fast
as a number of connections allow).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import time
from time import perf_counter

from raw_http import connect

REQUEST_TIMEOUT = 10.0  # seconds: a request that takes longer counts as an error
MAX_OPEN_CONNECTIONS = 256  # the open loop opens more connections while requests queue


class _Tally:
    def __init__(self, slow_ms: float = float("inf")) -> None:
        self.slow_ms = slow_ms
        self.latencies: list[float] = []
        self.slow_at: list[float] = []  # when (s from the start) each answer over slow_ms was due
        self.errors: dict[str, int] = {}
        self.wrong = 0  # answered, but no_match where a match was due or the other way round

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def answer(self, status, body: bytes, match: bool, latency: float, at=None) -> None:
        if status != 200:
            self.error(f"HTTP {status}")
            return
        self.latencies.append(latency)
        if at is not None and latency * 1000 > self.slow_ms:  # open loop only
            self.slow_at.append(at)
        if (b'"outcome":"no_match"' in body) == match:
            self.wrong += 1


def _request(target: bytes, port: int) -> bytes:
    return b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (target, port)


async def _open_loop(port: int, sample, rate: float, seconds: float, slow_ms: float) -> dict:
    tally, idle, opened, every = _Tally(slow_ms), asyncio.Queue(), [0], []
    requests = [(_request(t, port), m) for t, m in sample]

    async def one(request: bytes, match: bool, due: float) -> None:
        connection = None
        try:
            if idle.empty() and opened[0] < MAX_OPEN_CONNECTIONS:
                opened[0] += 1
                connection = await connect(port, every)
            else:
                connection = await idle.get()
            status, body = await asyncio.wait_for(connection.send(request), REQUEST_TIMEOUT)
        except (TimeoutError, OSError) as error:
            tally.error(type(error).__name__)
            opened[0] -= 1
            if connection is not None:
                connection.transport.close()
            return
        tally.answer(status, body, match, perf_counter() - due, due - start)
        if connection.closed:
            opened[0] -= 1
        else:
            idle.put_nowait(connection)

    total = int(rate * seconds)
    start = perf_counter() + 0.05
    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        request, match = requests[i % len(requests)]
        tasks.append(asyncio.ensure_future(one(request, match, due)))
    _done, pending = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)
    for task in pending:  # not answered within 15 s of the last request's due time
        task.cancel()
        tally.error("unanswered")
    elapsed = perf_counter() - start
    for connection in every:  # what is still queued at the server is abandoned now
        connection.transport.close()
    return _summary(tally, elapsed, sent=total, connections=opened[0])


async def _closed_loop(port: int, sample, connections: int, seconds: float) -> dict:
    tally = _Tally()
    requests = [(_request(t, port), m) for t, m in sample]
    start = perf_counter()
    deadline = start + seconds
    sent = [0]

    async def client(offset: int) -> None:
        connection = await connect(port)
        i = offset
        while perf_counter() < deadline:
            request, match = requests[i % len(requests)]
            i += connections
            sent[0] += 1
            began = perf_counter()
            try:
                status, body = await asyncio.wait_for(connection.send(request), REQUEST_TIMEOUT)
            except (TimeoutError, OSError) as error:
                tally.error(type(error).__name__)
                connection.transport.close()
                connection = await connect(port)
                continue
            tally.answer(status, body, match, perf_counter() - began)
            if connection.closed:
                connection = await connect(port)
        connection.transport.close()

    spread = len(requests) // connections
    await asyncio.wait_for(
        asyncio.gather(*(client(n * spread) for n in range(connections))),
        seconds + REQUEST_TIMEOUT + 5,
    )
    return _summary(tally, perf_counter() - start, sent=sent[0], connections=connections)


def _summary(tally: _Tally, elapsed: float, *, sent: int, connections: int) -> dict:
    latencies = sorted(tally.latencies)

    def cut(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
            if latencies
            else float("nan")
        )

    seconds = collections.Counter(int(at) for at in tally.slow_at)
    return {
        "slow_seconds": seconds.most_common(3),
        "sent": sent,
        "answered": len(latencies),
        "rate": len(latencies) / elapsed,
        "p50": cut(0.50),
        "p99": cut(0.99),
        "max": latencies[-1] * 1000 if latencies else float("nan"),
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "wrong": tally.wrong,
        "slow_at": tally.slow_at,
        "connections": connections,
    }


def generate(mode: str, port: int, sample, **params) -> dict:
    """The entry point of the generator process.

    The cycle collector is off while a loop runs: the open loop holds tens of thousands of
    tasks, and each full collection over them stopped the generator for 50 to 90 ms (seen with
    ``gc.callbacks``), time it then counted as the server's latency, whichever server it was.
    """
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    gc.collect()
    gc.disable()
    began = time.process_time()
    try:
        if mode == "open":
            result = asyncio.run(
                _open_loop(port, sample, params["rate"], params["seconds"], params["slow_ms"])
            )
        else:
            result = asyncio.run(
                _closed_loop(port, sample, params["connections"], params["seconds"])
            )
    finally:
        gc.enable()
    return {**result, "generator_cpu": time.process_time() - began}
