"""Webcam images worked on in a helper process at the lowest CPU priority: a server's
snapshots are re-encoded and their faces counted there.

A candidate waits for an answer's save, never for a snapshot's checks (the face count is for
the invigilator, who reads it later), yet both ran at one priority on the same cores: with
500 candidates the image work took a third of this machine's two cores at the moments answers
needed them, and Pillow's encoder and OpenCV held the server's interpreter lock in turns with
the answers (bench/README.md, issue 15). At nice 19 the images take what the answers leave. A
process, not a thread given a lower priority: a thread of the server's own, starved while it
held the interpreter's lock, would stall the answers of its whole process.

The helper starts with its server (``start_the_helper``) or on the first image, spawned
(forking a server process with its threads running is unsafe), and ends with its server, even
one killed with -9. One per server process: detection runs one at a time anyway.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from skillcard.adapters.face_detection import count_faces, load_the_cascade
from skillcard.adapters.photos import normalise_photo

T = TypeVar("T")

_helper: ProcessPoolExecutor | None = None
_helper_of_pid = 0
_helper_lock = threading.Lock()


def count_faces_at_low_priority(image: bytes) -> int:
    """``count_faces(image)``, in the helper."""
    return _in_helper(count_faces, image)


def normalise_at_low_priority(data: bytes, box: tuple[int, int]) -> bytes:
    """``normalise_photo(data, box)``, in the helper (``PhotoRefused`` comes back as raised)."""
    return _in_helper(normalise_photo, data, box)


def start_the_helper() -> None:
    """Start this process's helper now rather than on the first image (a server's start):
    starting one costs a second of CPU, which 500 candidates' first answers then waited for.
    Not waited for: at nice 19 on a busy machine it may take a while to be ready."""
    _the_helper().submit(int)


def stop_the_helper() -> None:
    """End this process's helper, if it has one (a server's shutdown)."""
    helper = _helper
    if helper is not None and _helper_of_pid == os.getpid():
        _forget(helper)


def _in_helper(work: Callable[..., T], *args) -> T:
    """``work(*args)`` in the helper; in this thread if it cannot start or keeps dying."""
    for _ in range(2):
        helper = _the_helper()
        try:
            return helper.submit(work, *args).result()
        except BrokenProcessPool:  # killed (out of memory, an operator): start another
            _forget(helper)
        except OSError:
            break
    return work(*args)


def _the_helper() -> ProcessPoolExecutor:
    global _helper, _helper_of_pid
    with _helper_lock:
        if _helper is None or _helper_of_pid != os.getpid():
            _helper = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_ready_at_lowest_priority,
            )
            _helper_of_pid = os.getpid()
        return _helper


def _forget(helper: ProcessPoolExecutor) -> None:
    global _helper
    with _helper_lock:
        if _helper is helper:
            _helper = None
    helper.shutdown(wait=False, cancel_futures=True)


def _ready_at_lowest_priority() -> None:
    os.nice(19)  # lowering one's own priority needs no privilege
    load_the_cascade()
    # A server killed with -9 cannot end its helper, and the helper holds its own end of the
    # work queue's pipe, so it would wait for work for ever: it ends when its parent does.
    parent = os.getppid()
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)
