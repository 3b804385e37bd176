"""grace.db and its folder: private modes, an application id, and bad files refused before any write."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from grace_desktop.storage import DB_FILENAME, SchemaTooNewError, StorageError, open_storage, resolve_data_dir
from grace_desktop.storage.errors import (
    CorruptDatabaseError,
    DataDirNotAFolderError,
    ForeignDatabaseError,
    NotADatabaseError,
)
from grace_desktop.storage.file_check import APPLICATION_ID, check_database_file
from grace_desktop.storage.instance_lock import LOCK_FILENAME
from grace_desktop.storage.schema import V1_CORE
from tests.startup import helpers as h


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def app_id(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA application_id").fetchone()[0])
    finally:
        conn.close()


def test_a_new_data_dir_is_0700_and_every_file_in_it_0600(tmp_path: Path) -> None:
    os.umask(0o022)  # the usual desktop umask; the modes must not depend on it
    folder = tmp_path / "deep" / "data"
    with open_storage(folder) as store:
        store.accounts.ensure("paper", "paper")
        names = sorted(p.name for p in folder.iterdir())
        assert names == [DB_FILENAME, f"{DB_FILENAME}-shm", f"{DB_FILENAME}-wal", LOCK_FILENAME]
        assert mode(folder) == 0o700
        assert {n: mode(folder / n) for n in names} == dict.fromkeys(names, 0o600)
    assert app_id(folder / DB_FILENAME) == APPLICATION_ID


def test_an_existing_folder_is_tightened_only_if_it_is_ours_to_tighten(tmp_path: Path) -> None:
    empty, with_db, shared = tmp_path / "empty", tmp_path / "with-db", tmp_path / "documents"
    for folder in (empty, with_db, shared):
        folder.mkdir(mode=0o755)
        os.chmod(folder, 0o755)
    h.ours(with_db / DB_FILENAME)
    os.chmod(with_db / DB_FILENAME, 0o644)
    (shared / "letter.txt").write_text("a folder the user chose for other things too")
    for folder in (empty, with_db, shared):
        resolve_data_dir(folder)
    assert (mode(empty), mode(with_db), mode(shared)) == (0o700, 0o700, 0o755)
    with open_storage(with_db):
        assert mode(with_db / DB_FILENAME) == 0o600  # an old 0644 file is tightened too


def test_a_legacy_file_without_application_id_is_accepted_and_stamped(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    conn = sqlite3.connect(path)
    conn.executescript(V1_CORE)
    conn.executescript("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL);"
                       "INSERT INTO schema_version VALUES (1, 0); INSERT INTO accounts VALUES ('old', 'paper', 1);")
    conn.close()
    assert app_id(path) == 0 and check_database_file(path).legacy
    with open_storage(tmp_path) as store:
        assert store.accounts.get("old") is not None
    assert app_id(path) == APPLICATION_ID and not check_database_file(path).legacy


def test_an_empty_grace_db_is_a_new_database(tmp_path: Path) -> None:
    (tmp_path / DB_FILENAME).touch()
    with open_storage(tmp_path) as store:
        assert store.accounts.list() == []


REFUSED: list[tuple[Callable[[Path], None], type[StorageError], str]] = [
    (h.foreign_app_id, ForeignDatabaseError, "another application (SQLite application id 0x12345678)"),
    (h.foreign_schema, ForeignDatabaseError, "another application (it holds no Grace Desktop tables)"),
    (h.not_sqlite, NotADatabaseError, "not an SQLite database"),
    (h.header_only, CorruptDatabaseError, "damaged (truncated to 60 bytes)"),
    (h.truncated, CorruptDatabaseError, "damaged (truncated:"),
    (h.corrupt, CorruptDatabaseError, "damaged ("),
    (h.newer_schema, SchemaTooNewError, "Upgrade Grace Desktop"),
]


@pytest.mark.parametrize(("build", "error", "says"), REFUSED, ids=[b.__name__ for b, _, _ in REFUSED])
def test_a_bad_grace_db_is_refused_and_left_byte_identical(
    tmp_path: Path, build: Callable[[Path], None], error: type[StorageError], says: str
) -> None:
    path = tmp_path / DB_FILENAME
    build(path)
    assert h.sidecars(path) == []
    before, size = h.digest(path), path.stat().st_size
    with pytest.raises(error) as info:
        open_storage(tmp_path)
    message = str(info.value)
    assert says in message and str(path) in message and "\n" not in message
    assert "--data-dir" in message or "backup" in message  # says what to do
    assert h.digest(path) == before and path.stat().st_size == size
    assert h.sidecars(path) == [], "the refused file got a -wal/-shm beside it"


def test_a_folder_named_grace_db_and_a_data_dir_that_is_a_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a" / DB_FILENAME).mkdir(parents=True)
    with pytest.raises(NotADatabaseError, match="not a regular file"):
        open_storage(tmp_path / "a")
    (tmp_path / "b").write_text("x")
    with pytest.raises(DataDirNotAFolderError, match=r"b exists and is a file.*--data-dir"):
        open_storage(tmp_path / "b")
    assert (tmp_path / "b").read_text() == "x"


def test_quick_check_runs_on_an_ordinary_file_and_finds_a_damaged_page(tmp_path: Path) -> None:
    # The corrupt builder keeps size and header intact, so only the page check can see it.
    path = tmp_path / DB_FILENAME
    h.corrupt(path)
    data = path.read_bytes()
    assert data[:16] == b"SQLite format 3\x00" and len(data) % int.from_bytes(data[16:18], "big") == 0
    with pytest.raises(CorruptDatabaseError, match="restore it from a backup"):
        check_database_file(path)


def test_a_big_file_gets_the_cheaper_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above FULL_CHECK_LIMIT only the header and the live-state tables are checked (quick_check of
    every page takes seconds on a few hundred MB); truncation is still caught by the header."""
    from grace_desktop.storage import file_check

    monkeypatch.setattr(file_check, "FULL_CHECK_LIMIT", 0)
    good, cut = tmp_path / "good.db", tmp_path / "cut.db"
    h.ours(good)
    h.truncated(cut)
    assert check_database_file(good).version > 0
    with pytest.raises(CorruptDatabaseError, match="truncated"):
        check_database_file(cut)
