"""Small facts about the app itself, kept as key -> text (e.g. when it last ran, for "while you were away")."""

from __future__ import annotations

import time

from grace_desktop.domain import validation as v
from grace_desktop.storage.base import Repository, writes


class MetaRepository(Repository):
    @writes
    def set(self, key: str, value: str, ts: float | None = None) -> None:
        if not isinstance(value, str):
            raise ValueError(f"value of {key!r}: must be text, got {type(value).__name__}")
        self._store.execute(
            "INSERT INTO app_meta (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (v.text("key", key), value, time.time() if ts is None else v.finite("ts", ts)),
        )

    def get(self, key: str) -> str | None:
        row = self._store.query_one("SELECT value FROM app_meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])
