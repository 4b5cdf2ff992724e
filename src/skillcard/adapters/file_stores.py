"""The two file stores behind :class:`skillcard.services.files.file_store.FileStore`.

- :class:`LocalFileStore`: a directory on this host, one folder per kind (the layout earlier
  versions wrote, so an existing ``files/`` directory is read as it is).
- :class:`DatabaseFileStore`: the ``stored_files`` table, in parts of at most
  :data:`PART_BYTES`, on the database every host shares (PostgreSQL ``bytea``; it works on
  SQLite too). A file is written in one transaction, so a reader never sees half of one.

:func:`file_store_for` picks one from the settings (``SKILLCARD_FILE_STORE``).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from skillcard.adapters.db.tables_files import stored_files
from skillcard.errors import InvalidInput
from skillcard.services.files.file_store import FileKind, FileStore, StoredFile, require_key

# Where each kind lives under the files directory: the folders earlier versions used, but for
# uploads (they shared ``bulk`` with the results; a folder of its own lets each kind be listed).
FOLDERS: dict[str, str] = {
    "photos": "photos",
    "evidence": "evidence",
    "snapshots": "hse",
    "uploads": "uploads",
    "results": "bulk",
    "reports": "reports",
}
PART_BYTES = 1024 * 1024
_TEMPORARY = ".upload-"


class LocalFileStore:
    """Files under ``root/<folder of kind>/<key>``, written into a temporary file beside the
    target and renamed over it."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, kind: FileKind, key: str) -> Path:
        require_key(kind, key)
        return self.root / FOLDERS[kind] / key

    def put(self, kind: FileKind, key: str, data: bytes) -> None:
        self.put_stream(kind, key, [data])

    def put_stream(self, kind: FileKind, key: str, chunks: Iterable[bytes]) -> int:
        target = self.path(kind, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=_TEMPORARY)
        size = 0
        try:
            with os.fdopen(handle, "wb") as file:
                for chunk in chunks:
                    size += len(chunk)
                    file.write(chunk)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return size

    def get(self, kind: FileKind, key: str) -> bytes | None:
        try:
            return self.path(kind, key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def stream(self, kind: FileKind, key: str) -> Iterator[bytes] | None:
        try:
            file = self.path(kind, key).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            return None
        return _read_parts(file)

    def exists(self, kind: FileKind, key: str) -> bool:
        return self.path(kind, key).is_file()

    def delete(self, kind: FileKind, key: str) -> None:
        self.path(kind, key).unlink(missing_ok=True)

    def entries(self, kind: FileKind) -> Iterator[StoredFile]:
        folder = self.root / FOLDERS[kind]
        if not folder.is_dir():
            return
        found = []
        for file in folder.rglob("*"):
            key = file.relative_to(folder).as_posix()
            if file.name.startswith(".") or not _is_key(kind, key):
                continue
            try:
                stat = file.stat()
            except FileNotFoundError:  # removed while we looked
                continue
            if file.is_file():
                when = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
                found.append(StoredFile(key, when))
        yield from sorted(found, key=lambda entry: entry.key)

    def leftovers(self, kind: FileKind, *, before: dt.datetime, remove: bool = False) -> int:
        folder = self.root / FOLDERS[kind]
        if not folder.is_dir():
            return 0
        limit = before.timestamp()
        old = [p for p in folder.rglob(f"{_TEMPORARY}*") if _mtime(p) < limit]
        if remove:
            for path in old:
                path.unlink(missing_ok=True)
        return len(old)


def _is_key(kind: FileKind, key: str) -> bool:
    try:
        require_key(kind, key)
    except InvalidInput:
        return False
    return True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed while we looked: as good as old
        return 0.0


def _read_parts(file) -> Iterator[bytes]:
    with file:
        while part := file.read(PART_BYTES):
            yield part


def _parts(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes of ``chunks`` re-cut into parts of exactly PART_BYTES (the last shorter)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= PART_BYTES:
            yield bytes(pending[:PART_BYTES])
            del pending[:PART_BYTES]
    if pending:
        yield bytes(pending)


class DatabaseFileStore:
    """Files as rows of ``stored_files`` (kind, key, part number, bytes), shared by every host
    on the same database. A write upserts its parts and deletes any beyond them in one
    transaction (two writers of one key at once queue on the rows' locks: the later one's
    file is the one kept, whole); reads take one part at a time, so a large result never sits
    whole in memory.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
        upsert = insert(stored_files)
        self._upsert = upsert.on_conflict_do_update(
            index_elements=["kind", "key", "part"],
            set_={"data": upsert.excluded.data, "written_at": upsert.excluded.written_at},
        )

    def put(self, kind: FileKind, key: str, data: bytes) -> None:
        self.put_stream(kind, key, [data])

    def put_stream(self, kind: FileKind, key: str, chunks: Iterable[bytes]) -> int:
        require_key(kind, key)
        now = dt.datetime.now(dt.UTC)
        size, part = 0, -1
        with self.engine.begin() as connection:
            for part, data in enumerate(_parts(chunks)):
                size += len(data)
                row = {"kind": kind, "key": key, "part": part, "data": data, "written_at": now}
                connection.execute(self._upsert, row)
            if part < 0:  # an empty file is one empty part, so that it exists
                part = 0
                row = {"kind": kind, "key": key, "part": 0, "data": b"", "written_at": now}
                connection.execute(self._upsert, row)
            connection.execute(  # what is left of a longer file written before
                sa.delete(stored_files).where(
                    stored_files.c.kind == kind,
                    stored_files.c.key == key,
                    stored_files.c.part > part,
                )
            )
        return size

    def get(self, kind: FileKind, key: str) -> bytes | None:
        parts = self.stream(kind, key)
        return None if parts is None else b"".join(parts)

    def stream(self, kind: FileKind, key: str) -> Iterator[bytes] | None:
        require_key(kind, key)
        where = (stored_files.c.kind == kind) & (stored_files.c.key == key)
        with self.engine.connect() as connection:
            count = connection.execute(
                sa.select(sa.func.count()).select_from(stored_files).where(where)
            ).scalar_one()
        if not count:
            return None
        return self._parts(where, count)

    def _parts(self, where, count: int) -> Iterator[bytes]:
        # One transaction for the whole read: a rewrite meanwhile is not seen half-way
        # (PostgreSQL's repeatable read; SQLite's read transaction is a snapshot already).
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                for part in range(count):
                    query = sa.select(stored_files.c.data).where(where, stored_files.c.part == part)
                    data = connection.execute(query).scalar_one_or_none()
                    if data is None:  # rewritten shorter meanwhile (SQLite without a snapshot)
                        return
                    yield bytes(data)

    def exists(self, kind: FileKind, key: str) -> bool:
        require_key(kind, key)
        query = sa.select(stored_files.c.part).where(
            stored_files.c.kind == kind, stored_files.c.key == key, stored_files.c.part == 0
        )
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def delete(self, kind: FileKind, key: str) -> None:
        require_key(kind, key)
        with self.engine.begin() as connection:
            connection.execute(
                sa.delete(stored_files).where(
                    stored_files.c.kind == kind, stored_files.c.key == key
                )
            )

    def entries(self, kind: FileKind) -> Iterator[StoredFile]:
        query = (
            sa.select(stored_files.c.key, stored_files.c.written_at)
            .where(stored_files.c.kind == kind, stored_files.c.part == 0)
            .order_by(stored_files.c.key)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        for key, written_at in rows:
            if written_at.tzinfo is None:  # SQLite gives back naive UTC
                written_at = written_at.replace(tzinfo=dt.UTC)
            yield StoredFile(key, written_at)

    def leftovers(self, kind: FileKind, *, before: dt.datetime, remove: bool = False) -> int:
        return 0  # each write is one transaction: nothing is ever left half-written


def file_store_for(settings, engine: Engine | None = None) -> FileStore:
    """The store the settings name: ``local`` (``SKILLCARD_FILES_DIR``) or ``database`` (the
    table on ``engine``, which every host on that database shares)."""
    if settings.file_store == "database":
        if engine is None:
            raise ValueError("the database file store needs the database's engine")
        if engine.dialect.name == "sqlite":
            # A service writes its file while its own transaction holds SQLite's one write
            # lock: a second connection to the same file would wait for it. SQLite is one
            # host anyway, which a local directory serves as well.
            raise InvalidInput(
                "SKILLCARD_FILE_STORE=database needs PostgreSQL (the store every host "
                "shares); with SQLite, keep files in a local directory (local)"
            )
        return DatabaseFileStore(engine)
    return LocalFileStore(settings.files_dir)
