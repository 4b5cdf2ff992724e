"""Counting faces in a webcam snapshot with OpenCV's Haar cascade (opencv-python-headless 4.x).

The cascade ships inside the wheel (``cv2.data.haarcascades``): nothing is downloaded. It is
loaded once per process; detection holds a lock because one classifier is shared by threads.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_cascade = None
# Larger snapshots are scaled down first. A candidate's face fills a quarter or more of a
# laptop webcam's frame, so at 320 pixels it is still some 80 across, twice ``minSize``; and
# the cascade's time goes with the pixels: 25 ms of CPU per 640 x 480 frame at 320, against
# 125 ms at 640, with the same counts on bench/hse.py's frames and the tests' (bench/README.md).
# At 500 candidates sending a frame every 30 s, that is the difference between a fifth of a
# core and more than one of this machine's two.
MAX_SIDE = 320


def _classifier():
    global _cascade
    if _cascade is None:
        import cv2

        # A detection runs in the thread that asked: a server's other requests go on in its
        # other threads and processes meanwhile. OpenCV's own threads, one per core, only added
        # their hand-overs to the CPU per frame (32 ms against 30 ms at 320 pixels) and
        # competed with the server's work for the same cores.
        cv2.setNumThreads(1)
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"the face cascade could not be loaded from {path}")
        _cascade = cascade
    return _cascade


def count_faces(image: bytes) -> int:
    """How many frontal faces are in a JPEG or PNG (already checked by the photo store)."""
    import cv2
    import numpy as np

    pixels = cv2.imdecode(np.frombuffer(image, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if pixels is None:
        return 0
    height, width = pixels.shape[:2]
    scale = MAX_SIDE / max(height, width)
    if scale < 1:
        pixels = cv2.resize(pixels, (int(width * scale), int(height * scale)))
    # No histogram equalisation first: the cascade scales each window it looks at by that
    # window's own contrast, and equalising a whole noisy webcam frame brightened its sensor
    # noise into more windows worth a closer look: 28 ms of CPU per frame against 12.5, with
    # the same counts on bench/hse.py's frames and the tests'.
    with _lock:
        faces = _classifier().detectMultiScale(
            pixels, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40)
        )
    return len(faces)


def load_the_cascade() -> None:
    """Load the classifier now rather than at the first count (a helper process's start)."""
    _classifier()
