"""Common base of the repositories: each holds the Storage it reads and writes through."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grace_desktop.storage.database import Storage


class Repository:
    def __init__(self, store: Storage) -> None:
        self._store = store
