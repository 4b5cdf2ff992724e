"""Faces in webcam snapshots are counted in a helper process at the lowest CPU priority, so
that candidates' answers come first on a busy server (issue 15)."""

from __future__ import annotations

import os
import signal

from skillcard.adapters import face_detection
from skillcard.adapters.face_detection import count_faces_at_low_priority
from tests.unit.test_face_detection import frame


def test_the_helper_counts_as_the_server_would_in_a_process_at_nice_19():
    assert count_faces_at_low_priority(frame("Ann Nunez", "Bob Smith")) == 2
    assert count_faces_at_low_priority(frame()) == 0
    helper = face_detection._the_helper()
    assert helper.submit(os.getpid).result() != os.getpid()
    assert helper.submit(os.getpriority, os.PRIO_PROCESS, 0).result() == 19


def test_a_helper_killed_is_replaced_and_the_snapshot_still_counted():
    helper = face_detection._the_helper()
    first = helper.submit(os.getpid).result()
    os.kill(first, signal.SIGKILL)
    assert count_faces_at_low_priority(frame("Ann Nunez")) == 1
    assert face_detection._the_helper().submit(os.getpid).result() != first
