"""Where the database lives: --data-dir, then GRACE_DESKTOP_DATA_DIR, then the platform's data dir.

The folder holds trading history, so it is private to its user: created 0700, its files 0600.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

from grace_desktop.storage.errors import DataDirError, DataDirNotAFolderError

ENV_DATA_DIR = "GRACE_DESKTOP_DATA_DIR"
APP_NAME = "grace-desktop"
DB_FILENAME = "grace.db"
DIR_MODE = 0o700
FILE_MODE = 0o600
_POSIX = os.name == "posix"


def data_dir_path(explicit: str | Path | None = None) -> Path:
    """The data folder's path, touching nothing on disk."""
    if explicit is not None and str(explicit).strip():
        path = Path(explicit)
    elif os.environ.get(ENV_DATA_DIR, "").strip():
        path = Path(os.environ[ENV_DATA_DIR])
    else:
        path = platformdirs.user_data_path(APP_NAME, appauthor=False)
    return path.expanduser()


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """The data folder (created 0700 if missing). Separate folders let tests and profiles never share a file.

    An existing folder we own that is empty or holds our database is tightened to 0700; any
    other existing folder (say a --data-dir pointing at ~/Documents) keeps its mode.
    """
    path = data_dir_path(explicit)
    if path.exists() and not path.is_dir():
        raise DataDirNotAFolderError(path)
    if path.is_dir():
        _tighten_dir(path)
        return path
    try:
        # Missing parents get the default mode; only the leaf is ours to make private.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=DIR_MODE, exist_ok=True)
    except FileExistsError:
        raise DataDirNotAFolderError(path) from None
    except OSError as exc:
        raise DataDirError(path, f"cannot create the data dir {path} ({exc.strerror or exc}); "
                                 "pass a --data-dir you can write to") from exc
    if _POSIX:
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask; make it exact
    return path


def _tighten_dir(path: Path) -> None:
    if not _POSIX:
        return
    try:
        info = path.stat()
        current = stat.S_IMODE(info.st_mode)
        if info.st_uid != os.getuid() or not current & ~DIR_MODE:
            return
        entries = [p.name for p in path.iterdir()]
        if not entries or DB_FILENAME in entries:
            # Only take group/other access away: a folder the user made read-only stays so.
            os.chmod(path, current & DIR_MODE)
    except OSError:
        pass  # a folder we cannot inspect or chmod is reported by the file check that follows


def private_file(path: Path) -> Path:
    """Make sure `path` exists with mode 0600 (created empty if missing, tightened if ours).

    Creating it ourselves before SQLite or QSettings do means it is never world-readable,
    even for a moment; both keep an existing file's mode when they rewrite it, and SQLite
    gives -wal and -shm the database file's mode.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten_file(path)
        return path
    os.close(fd)
    if _POSIX:
        os.chmod(path, FILE_MODE)
    return path


def tighten_file(path: Path) -> None:
    """Take group/other access away from an existing file we own (0644 -> 0600, 0444 -> 0400)."""
    if not _POSIX:
        return
    try:
        info = path.stat()
        current = stat.S_IMODE(info.st_mode)
        if info.st_uid == os.getuid() and stat.S_ISREG(info.st_mode) and current & ~FILE_MODE:
            os.chmod(path, current & FILE_MODE)
    except OSError:
        pass
