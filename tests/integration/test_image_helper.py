"""Webcam snapshots are re-encoded and their faces counted in a helper process at the lowest
CPU priority, so that candidates' answers come first on a busy server (issue 15)."""

from __future__ import annotations

import os
import signal

import pytest

from skillcard.adapters import image_helper
from skillcard.adapters.image_helper import count_faces_at_low_priority, normalise_at_low_priority
from skillcard.adapters.photos import PhotoRefused
from tests.unit.test_face_detection import frame


def test_the_helper_counts_as_the_server_would_in_a_process_at_nice_19():
    assert count_faces_at_low_priority(frame("Ann Nunez", "Bob Smith")) == 2
    assert count_faces_at_low_priority(frame()) == 0
    helper = image_helper._the_helper()
    assert helper.submit(os.getpid).result() != os.getpid()
    assert helper.submit(os.getpriority, os.PRIO_PROCESS, 0).result() == 19


def test_a_helper_killed_is_replaced_and_the_snapshot_still_counted():
    helper = image_helper._the_helper()
    first = helper.submit(os.getpid).result()
    os.kill(first, signal.SIGKILL)
    assert count_faces_at_low_priority(frame("Ann Nunez")) == 1
    assert image_helper._the_helper().submit(os.getpid).result() != first


def test_a_photo_refused_in_the_helper_is_refused_as_here():
    with pytest.raises(PhotoRefused, match="not a JPEG or PNG"):
        normalise_at_low_priority(b"not a picture at all", (640, 640))
    assert normalise_at_low_priority(frame("Ann Nunez"), (640, 640))[:2] == b"\xff\xd8"
