"""Server-side face counting on webcam snapshots, with OpenCV's shipped Haar cascade (issue 5)."""

from __future__ import annotations

import io

from PIL import Image

from skillcard.adapters.face_detection import count_faces
from skillcard.adapters.photos import drawn_portrait
from skillcard.domain.invigilation import EventKind, face_event


def frame(*names: str) -> bytes:
    """A 640 x 480 webcam frame with a drawn face for each name, side by side."""
    picture = Image.new("RGB", (640, 480), (90, 90, 100))
    for n, name in enumerate(names):
        face = Image.open(io.BytesIO(drawn_portrait(name))).convert("RGB").resize((280, 350))
        picture.paste(face, (20 + n * 320, 60))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_one_face_two_faces_and_an_empty_room_are_told_apart():
    assert count_faces(frame("Ann Nunez")) == 1
    assert count_faces(frame("Ann Nunez", "Bob Smith")) == 2
    assert count_faces(frame()) == 0


def test_what_a_count_means_for_the_invigilator():
    assert face_event(0) == EventKind.NO_FACE
    assert face_event(1) is None
    assert face_event(3) == EventKind.SEVERAL_FACES


def test_bytes_that_are_not_an_image_count_no_face():
    assert count_faces(b"not an image at all") == 0
