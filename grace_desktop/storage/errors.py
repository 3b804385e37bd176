"""Errors the storage layer raises; messages name the table, field or file at fault."""

from __future__ import annotations


class StorageError(Exception):
    """Base class for storage failures that are not plain bad input (those are ValueError)."""


class SchemaTooNewError(StorageError):
    """The database was written by a newer Grace Desktop; opening it would risk corrupting it."""

    def __init__(self, path: object, found: int, supported: int) -> None:
        self.path = path
        self.found = found
        self.supported = supported
        super().__init__(
            f"{path} has schema version {found}, but this Grace Desktop only understands up to "
            f"version {supported}. Upgrade Grace Desktop, or point --data-dir at another folder. "
            "The file was left untouched."
        )


class NotFoundError(StorageError, LookupError):
    """A record that an update refers to does not exist."""


class StorageClosedError(StorageError):
    """The Storage was closed: nothing more can be read or written through it."""


# SQLite's primary result code for "database or disk is full" (a full disk, or max_page_count reached).
SQLITE_FULL = 13


class StorageFullError(StorageError):
    """No space left for the database file: the write was refused and nothing of it was kept."""

    def __init__(self, path: object, detail: str) -> None:
        self.path = path
        super().__init__(f"no space left for {path}: {detail}")


def is_disk_full(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == SQLITE_FULL


# -- start-up refusals: each message is one line naming the path and what to do ----------------

_UNTOUCHED = "The file was left untouched."


class DataDirError(StorageError):
    """The data folder cannot be used: it is a file, cannot be created, or is read-only."""

    def __init__(self, path: object, message: str) -> None:
        self.path = path
        super().__init__(message)


class DataDirNotAFolderError(DataDirError, NotADirectoryError):
    def __init__(self, path: object) -> None:
        super().__init__(path, f"the data dir {path} exists and is a file, not a folder; "
                               "move it away or pass another --data-dir")


class DatabaseFileError(StorageError):
    """grace.db exists but is refused before anything is written to it."""

    def __init__(self, path: object, message: str) -> None:
        self.path = path
        super().__init__(" ".join(message.split()))  # one line, whatever SQLite's detail held


class NotADatabaseError(DatabaseFileError):
    def __init__(self, path: object, detail: str = "it is not an SQLite database") -> None:
        super().__init__(path, f"{path}: {detail}; move it away or pass another --data-dir. {_UNTOUCHED}")


class ForeignDatabaseError(DatabaseFileError):
    def __init__(self, path: object, detail: str) -> None:
        super().__init__(path, f"{path} belongs to another application ({detail}); "
                               f"move it away or pass another --data-dir. {_UNTOUCHED}")


class CorruptDatabaseError(DatabaseFileError):
    def __init__(self, path: object, detail: str) -> None:
        super().__init__(path, f"{path} is damaged ({detail}); restore it from a backup, or move it away "
                               f"to start with an empty database. {_UNTOUCHED}")


class ReadOnlyDatabaseError(DatabaseFileError):
    def __init__(self, path: object, what: str = "file") -> None:
        untouched = f" {_UNTOUCHED}" if what == "file" else ""
        super().__init__(path, f"the database {what} {path} is read-only; make it writable "
                               f"(chmod u+w) or pass another --data-dir.{untouched}")


class InstanceLockedError(StorageError):
    """Another Grace Desktop process holds the data dir's lock."""

    def __init__(self, data_dir: object, holder: str) -> None:
        self.data_dir = data_dir
        self.holder = holder
        super().__init__(f"another Grace Desktop ({holder}) is using {data_dir}; "
                         "stop it first, or pass another --data-dir to run a second one")
