"""Photo files kept no longer than a cardholder uses them: a replaced photo's file goes once
nobody has it, and the sweep deletes files no row refers to. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.adapters.photos import PhotoStore, drawn_portrait
from skillcard.errors import PermissionDenied
from skillcard.services.audit.audit import history, utcnow
from skillcard.services.registry import photo_files, photos


def _give(uow_factory, store, who, holder_id, name) -> str:
    return photos.set_photo(
        uow=uow_factory(), store=store, who=who, cardholder_id=holder_id, data=drawn_portrait(name)
    )


def test_replacing_a_photo_deletes_the_old_file_and_its_thumbnail(registry, uow_factory, tmp_path):
    store, hub, ann = PhotoStore(tmp_path), registry.principals["hub"], registry.holders["ann"]
    old = _give(uow_factory, store, hub, ann, "Ann")
    assert store.thumbnail(old) is not None
    new = _give(uow_factory, store, hub, ann, "Ann again")
    assert not store.path(old).exists() and not store.path(old, ".thumb.jpg").exists()
    assert store.get(new) is not None
    assert _give(uow_factory, store, hub, ann, "Ann again") == new  # the same photo stays
    assert store.get(new) is not None


def test_a_photo_another_cardholder_still_has_is_kept(registry, uow_factory, tmp_path):
    store, hub = PhotoStore(tmp_path), registry.principals["hub"]
    shared = _give(uow_factory, store, hub, registry.holders["ann"], "Twin")
    assert _give(uow_factory, store, hub, registry.holders["bob"], "Twin") == shared
    _give(uow_factory, store, hub, registry.holders["ann"], "Ann")
    assert store.get(shared) is not None  # Bob still has it
    _give(uow_factory, store, hub, registry.holders["bob"], "Bob")
    assert store.get(shared) is None  # now nobody does


def test_a_file_that_cannot_be_deleted_does_not_fail_the_replacement(
    registry, uow_factory, tmp_path, monkeypatch
):
    store, hub, ann = PhotoStore(tmp_path), registry.principals["hub"], registry.holders["ann"]
    old = _give(uow_factory, store, hub, ann, "Ann")

    def refuse(sha256):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(store, "remove", refuse)
    new = _give(uow_factory, store, hub, ann, "Ann again")
    with uow_factory() as uow:
        assert uow.cardholders.get(ann).photo_sha256 == new
    assert store.get(old) is not None  # a stray file, left for the sweep


def test_a_photo_given_to_someone_while_it_was_being_deleted_is_put_back(
    registry, uow_factory, tmp_path, monkeypatch
):
    store = PhotoStore(tmp_path)
    digest = store.put(drawn_portrait("Race"))
    remove = store.remove

    def remove_then_commit_elsewhere(sha256):
        remove(sha256)
        with uow_factory() as uow:  # another request's commit lands between delete and recheck
            uow.cardholders.get(registry.holders["cy"]).photo_sha256 = sha256
            uow.commit()

    monkeypatch.setattr(store, "remove", remove_then_commit_elsewhere)
    assert not photo_files.discard_if_unused(uow=uow_factory(), store=store, sha256=digest)
    assert store.get(digest) is not None


def test_the_sweep_deletes_orphans_and_keeps_what_is_referenced(registry, uow_factory, tmp_path):
    store, hub = PhotoStore(tmp_path), registry.principals["hub"]
    used = _give(uow_factory, store, hub, registry.holders["ann"], "Ann")
    orphan = store.put(drawn_portrait("Left by a crash"))
    store.thumbnail(orphan)
    interrupted = store.path(used).parent / ".upload-abc123"
    interrupted.write_bytes(b"half a photo")
    later = utcnow() + dt.timedelta(hours=2)  # past the grace an unfinished upload gets

    assert photo_files.sweep_photos(uow_factory=uow_factory, store=store, who=hub).orphans == []
    seen = photo_files.sweep_photos(
        uow_factory=uow_factory, store=store, who=hub, dry_run=True, now=later
    )
    assert (seen.checked, seen.orphans, seen.leftovers) == (2, [orphan], 1)
    assert store.get(orphan) is not None and interrupted.exists()

    done = photo_files.sweep_photos(uow_factory=uow_factory, store=store, who=hub, now=later)
    assert done.orphans == [orphan] and done.kept == []
    assert not store.path(orphan).exists() and not store.path(orphan, ".thumb.jpg").exists()
    assert not interrupted.exists() and store.get(used) is not None
    first, event = history(uow=uow_factory(), entity_type="photo_store", entity_id="all")
    assert first.detail["removed"] == 0  # a sweep is audited even when it finds nothing
    assert event.action == "photos.sweep" and event.actor == hub.label
    assert event.detail == {"removed": 1, "kept": 0, "temporary": 1}


def test_only_the_hub_sweeps(registry, uow_factory, tmp_path):
    with pytest.raises(PermissionDenied):
        photo_files.sweep_photos(
            uow_factory=uow_factory,
            store=PhotoStore(tmp_path),
            who=registry.principals["ecs_admin"],
        )
