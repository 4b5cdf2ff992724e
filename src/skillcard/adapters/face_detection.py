"""Counting faces in a webcam snapshot with OpenCV's Haar cascade (opencv-python-headless 4.x).

The cascade ships inside the wheel (``cv2.data.haarcascades``): nothing is downloaded. It is
loaded once per process; detection holds a lock because one classifier is shared by threads.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_cascade = None
MAX_SIDE = 640  # larger snapshots are scaled down first: faster, and faces are large anyway


def _classifier():
    global _cascade
    if _cascade is None:
        import cv2

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
    pixels = cv2.equalizeHist(pixels)
    with _lock:
        faces = _classifier().detectMultiScale(
            pixels, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40)
        )
    return len(faces)
