"""The file storage port's two stores, over the same cases: a directory (``local``) and the
database's table (``database``, on SQLite and PostgreSQL). Whole writes, parts for large files,
hostile keys refused, and the photo, evidence and invigilation stores on top of either."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from skillcard.adapters.evidence_store import EvidenceStore
from skillcard.adapters.file_stores import (
    PART_BYTES,
    DatabaseFileStore,
    LocalFileStore,
    file_store_for,
)
from skillcard.adapters.invigilation_files import InvigilationFileStore
from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.config import Settings
from skillcard.errors import InvalidInput


@pytest.fixture(params=["local", "database"])
def store(request, engine, tmp_path):
    if request.param == "local":
        return LocalFileStore(tmp_path / "files")
    return DatabaseFileStore(engine)


def test_a_file_is_put_read_and_deleted(store):
    assert store.get("evidence", "ab/one.pdf") is None and not store.exists(
        "evidence", "ab/one.pdf"
    )
    assert store.stream("evidence", "ab/one.pdf") is None
    store.put("evidence", "ab/one.pdf", b"%PDF-1.7 first")
    assert store.exists("evidence", "ab/one.pdf")
    assert store.get("evidence", "ab/one.pdf") == b"%PDF-1.7 first"
    assert not store.exists("photos", "ab/one.pdf")  # a key is of its kind only
    store.delete("evidence", "ab/one.pdf")
    store.delete("evidence", "ab/one.pdf")  # deleting a missing file is no error
    assert store.get("evidence", "ab/one.pdf") is None


def test_a_large_file_goes_in_and_out_in_parts_and_a_rewrite_leaves_nothing_old(store):
    big = os.urandom(3 * PART_BYTES + 12_345)
    pieces = (big[i : i + 70_000] for i in range(0, len(big), 70_000))
    assert store.put_stream("results", "job.result.csv", pieces) == len(big)
    parts = list(store.stream("results", "job.result.csv"))
    assert b"".join(parts) == big
    assert len(parts) >= 4 and max(len(p) for p in parts) <= PART_BYTES
    store.put("results", "job.result.csv", b"short")  # shorter: no stale part survives
    assert store.get("results", "job.result.csv") == b"short"
    store.put("results", "empty.csv", b"")
    assert store.exists("results", "empty.csv") and store.get("results", "empty.csv") == b""


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("photos", "../secret"),
        ("photos", "/etc/passwd"),
        ("photos", "ab/../../x"),
        ("photos", "a/b/c.jpg"),
        ("photos", ".hidden"),
        ("photos", ""),
        ("photos", "ab\\cd"),
        ("photos", "nul\x00.jpg"),
        ("elsewhere", "ab/cd.jpg"),
    ],
)
def test_a_key_or_kind_from_nowhere_is_refused_and_nothing_written(store, kind, key):
    for act in (
        lambda: store.put(kind, key, b"x"),
        lambda: store.get(kind, key),
        lambda: store.exists(kind, key),
        lambda: store.delete(kind, key),
    ):
        with pytest.raises(InvalidInput):
            act()
    assert list(store.entries("photos")) == []


def test_entries_list_a_kinds_files_with_when_they_were_written(store):
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    store.put("uploads", "b.upload.csv", b"2")
    store.put("uploads", "a.upload.csv", b"1")
    store.put("results", "a.result.csv", b"3")
    found = list(store.entries("uploads"))
    assert [e.key for e in found] == ["a.upload.csv", "b.upload.csv"]
    assert all(e.written_at > before and e.written_at.tzinfo for e in found)
    assert store.leftovers("uploads", before=dt.datetime.now(dt.UTC)) == 0


def test_photos_evidence_and_pictures_are_kept_apart_on_either_store(store):
    photos, pictures, evidence = (
        PhotoStore(store),
        InvigilationFileStore(store),
        EvidenceStore(store),
    )
    digest = photos.put(drawn_portrait("Ann Test"))
    assert photos.get(digest) is not None and photos.thumbnail(digest) is not None
    assert pictures.get(digest) is None  # the invigilation pages never see a holder's photo
    frame, jpeg = pictures.check(drawn_portrait("Candidate"), 2 * 1024 * 1024, "snapshot")
    pictures.keep(frame, jpeg)
    assert pictures.get(frame) == jpeg and photos.get(frame) is None
    sha, media = evidence.put(b"%PDF-1.7 certificate", "cert.pdf")
    assert evidence.get(sha, media) == b"%PDF-1.7 certificate"
    assert list(photos.stored()) == [digest]
    photos.remove(digest)
    assert photos.get(digest) is None and photos.thumbnail(digest) is None
    assert list(photos.stored()) == []


def test_a_crash_mid_write_leaves_a_temporary_file_only_the_local_store_has(tmp_path):
    local = LocalFileStore(tmp_path)
    local.put("photos", "ab/x.jpg", b"whole")
    cut = tmp_path / "photos" / "ab" / ".upload-abc"
    cut.write_bytes(b"half")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    assert [e.key for e in local.entries("photos")] == ["ab/x.jpg"]
    assert local.leftovers("photos", before=later) == 1
    assert local.leftovers("photos", before=later, remove=True) == 1
    assert not cut.exists() and local.get("photos", "ab/x.jpg") == b"whole"


def test_the_setting_chooses_the_store(engine, tmp_path):
    local = file_store_for(Settings(files_dir=tmp_path), engine)
    assert isinstance(local, LocalFileStore) and local.root == tmp_path
    if engine.dialect.name == "postgresql":
        shared = file_store_for(Settings(file_store="database"), engine)
        assert isinstance(shared, DatabaseFileStore)
    else:  # its services write files inside their own transaction: one writer, one file
        with pytest.raises(InvalidInput, match="needs PostgreSQL"):
            file_store_for(Settings(file_store="database"), engine)
    with pytest.raises(ValueError):
        Settings(file_store="s3")


def test_two_writers_of_one_key_at_once_both_succeed(engine, tmp_path):
    """Two hosts storing the same photo at the same moment (content-addressed: same key, same
    bytes): neither request fails, and the file is whole."""
    import threading

    store = DatabaseFileStore(engine)
    data = os.urandom(2 * PART_BYTES + 7)
    failures, start = [], threading.Barrier(4)

    def write():
        start.wait()
        try:
            store.put("photos", "ab/same.jpg", data)
        except Exception as error:  # what a request would have answered with
            failures.append(error)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and store.get("photos", "ab/same.jpg") == data
