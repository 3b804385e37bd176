"""Look at grace.db before anything writes to it, and refuse what is not ours to change.

Opening a file with sqlite3.connect already writes: switching to WAL rewrites the header
and creates -wal/-shm, migrating adds tables. So a foreign SQLite file, a file that is not
SQLite, a truncated or damaged one, one from a newer Grace Desktop and a read-only file or
folder are all recognised first, through a read-only connection, and refused with a
one-line StorageError; the file stays byte-identical and no -wal/-shm appears beside it.

Integrity: `PRAGMA quick_check` reads every page, about 0.6 s warm and 3 s cold for a 240 MB
file here. Files up to FULL_CHECK_LIMIT get it; above that the header is checked against
the file size (which catches truncation, the usual damage) and quick_check runs on the
tables that hold live trading state, leaving the history tables to SQLite's own checks.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from grace_desktop.storage.errors import (
    CorruptDatabaseError,
    DatabaseFileError,
    DataDirError,
    DataDirNotAFolderError,
    ForeignDatabaseError,
    NotADatabaseError,
    ReadOnlyDatabaseError,
    SchemaTooNewError,
)
from grace_desktop.storage.paths import private_file, tighten_file
from grace_desktop.storage.schema import LATEST_VERSION

APPLICATION_ID = 0x47524344  # "GRCD", stamped into the SQLite header of every grace.db
FULL_CHECK_LIMIT = 32 * 1024 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
# A file from before the application id was stamped is ours if it has these tables.
LEGACY_TABLES = frozenset({"schema_version", "orders", "accounts"})
# Live trading state, checked page by page even in a big file.
STATE_TABLES = ("schema_version", "accounts", "settings", "conditions", "trailing_extremes",
                "paper_accounts", "paper_positions", "paper_orders")


@dataclass(frozen=True)
class DatabaseFileInfo:
    """What the check found: a new file, or an existing one of ours (legacy = not yet stamped)."""

    path: Path
    exists: bool
    version: int = 0
    application_id: int = 0

    @property
    def legacy(self) -> bool:
        return self.exists and self.application_id != APPLICATION_ID


def prepare_database_file(path: str | Path) -> DatabaseFileInfo:
    """Check `path` (see check_database_file), then make it and its -wal/-shm private (0600).

    A missing file is created empty with mode 0600 so SQLite, which gives -wal and -shm the
    database's mode, never makes a world-readable file.
    """
    info = check_database_file(path)
    private_file(info.path)
    for suffix in ("-wal", "-shm"):
        tighten_file(Path(f"{info.path}{suffix}"))
    return info


def check_database_file(path: str | Path, supported: int = LATEST_VERSION) -> DatabaseFileInfo:
    """Raise a DatabaseFileError, DataDirError or SchemaTooNewError for a file we must not open; writes nothing."""
    path = Path(path)
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise DataDirNotAFolderError(folder)
    if not folder.is_dir():
        raise DataDirError(folder, f"the data dir {folder} does not exist; create it or pass another --data-dir")
    if not path.exists():
        _require_writable(folder, "folder")
        return DatabaseFileInfo(path, exists=False)
    if not path.is_file():
        raise NotADatabaseError(path, "it is not a regular file")
    size = path.stat().st_size
    if size == 0:  # SQLite's own reading of an empty file: a new database
        _require_writable(folder, "folder")
        _require_writable(path, "file")
        return DatabaseFileInfo(path, exists=False)
    has_wal = _nonempty(Path(f"{path}-wal"))
    _check_header(path, size, has_wal)
    info = _inspect(path, size, has_wal, supported)
    _require_writable(folder, "folder")
    _require_writable(path, "file")
    return info


def stamp_application_id(conn: sqlite3.Connection) -> None:
    """Mark the file as Grace Desktop's (new and legacy files); run inside the first migration transaction."""
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _nonempty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _require_writable(path: Path, what: str) -> None:
    access = os.W_OK | (os.X_OK if what == "folder" else 0)
    if not os.access(path, access):
        raise ReadOnlyDatabaseError(path, what)


def _check_header(path: Path, size: int, has_wal: bool) -> None:
    try:
        with open(path, "rb") as file:
            header = file.read(HEADER_SIZE)
    except OSError as exc:
        raise DatabaseFileError(path, f"{path} cannot be read ({exc.strerror or exc}); check its owner and "
                                      "permissions or pass another --data-dir. The file was left untouched.") from exc
    if not header.startswith(SQLITE_MAGIC[: len(header)]) or len(header) < len(SQLITE_MAGIC):
        raise NotADatabaseError(path)
    if len(header) < HEADER_SIZE:
        raise CorruptDatabaseError(path, f"truncated to {size} bytes")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise CorruptDatabaseError(path, f"invalid page size {page_size} in its header")
    if size % page_size:
        raise CorruptDatabaseError(path, f"truncated: {size} bytes is not a whole number of {page_size}-byte pages")
    change_counter, pages, valid_for = header[24:28], int.from_bytes(header[28:32], "big"), header[92:96]
    # The header's page count is trustworthy when it was written with the current change
    # counter; with a non-empty -wal the newest pages may live there instead.
    if not has_wal and pages and valid_for == change_counter and size < pages * page_size:
        raise CorruptDatabaseError(path, f"truncated: {size} of {pages * page_size} bytes")


def _inspect(path: Path, size: int, has_wal: bool, supported: int) -> DatabaseFileInfo:
    # immutable=1 needs no -shm and creates nothing; with a -wal left by a crash, the plain
    # read-only mode is used so committed pages still in the WAL are seen.
    uri = path.resolve().as_uri() + ("?mode=ro" if has_wal else "?mode=ro&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise DatabaseFileError(path, f"{path} cannot be opened ({exc}); check its permissions or pass "
                                      "another --data-dir. The file was left untouched.") from exc
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = 0
        if "schema_version" in tables:
            version = int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)
        if app_id not in (0, APPLICATION_ID):
            raise ForeignDatabaseError(path, f"SQLite application id {app_id:#010x}")
        if app_id == 0 and tables and not LEGACY_TABLES <= tables and version <= supported:
            raise ForeignDatabaseError(path, "it holds no Grace Desktop tables")
        if version > supported:
            raise SchemaTooNewError(path, version, supported)
        problems = _integrity_problems(conn, tables, size)
        if problems:
            raise CorruptDatabaseError(path, f"integrity check: {problems[0]}"
                                             + (f" and {len(problems) - 1} more" if len(problems) > 1 else ""))
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        raise CorruptDatabaseError(path, str(exc)) from exc
    finally:
        conn.close()
    return DatabaseFileInfo(path, exists=bool(tables), version=version, application_id=app_id)


def _integrity_problems(conn: sqlite3.Connection, tables: set[str], size: int) -> list[str]:
    if size <= FULL_CHECK_LIMIT:
        rows = conn.execute("PRAGMA quick_check(20)").fetchall()
    else:
        rows = []
        for table in STATE_TABLES:
            if table in tables:
                rows += conn.execute(f"PRAGMA quick_check({table})").fetchall()
    return [" ".join(str(r[0]).replace("*** in database main ***", "").split()) for r in rows if r[0] != "ok"]
