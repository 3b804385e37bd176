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
