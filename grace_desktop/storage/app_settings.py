"""Installation-wide settings (not an account's): venue connections, one validated JSON row per group.

Secrets never come here: a VenueSettings holds URLs and key *file paths* only (the keys are in
the OS keyring).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.storage.base import Repository, writes
from grace_desktop.storage.paths import DB_FILENAME, data_dir_path

# A row of the app_meta table (key, JSON value): facts and settings of the installation.
VENUES = "venue_settings"


class AppSettingsRepository(Repository):
    def venue_settings(self) -> VenueSettings | None:
        """The saved venue settings, or None if none were ever saved (then a caller may migrate old ones)."""
        row = self._store.query_one("SELECT value FROM app_meta WHERE key = ?", (VENUES,))
        if row is None:
            return None
        return VenueSettings.from_dict(json.loads(row["value"]))

    @writes
    def save_venue_settings(self, settings: VenueSettings) -> None:
        """Validated again on the way in (a DomainError names the field); an invalid value saves nothing."""
        if not isinstance(settings, VenueSettings):
            raise ValueError(f"settings: expected VenueSettings, got {type(settings).__name__}")
        checked = VenueSettings.from_dict(settings.to_dict())
        self._store.execute(
            "INSERT INTO app_meta (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (VENUES, json.dumps(checked.to_dict(), sort_keys=True), time.time()),
        )


def peek_venue_settings(data_dir: str | Path | None = None) -> VenueSettings | None:
    """The saved venue settings read before start-up opens the store, touching nothing on disk.

    Start-up must refuse an unreachable venue before it creates a file, yet the URL to probe may be
    a saved one: this reads it through a read-only connection (as file_check does). None when there
    is no database yet, or it cannot be read, or holds no valid row: the full checks come later.
    """
    path = data_dir_path(data_dir) / DB_FILENAME
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        has_wal = Path(f"{path}-wal").is_file() and Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return None
    # immutable=1 creates no -shm; with a -wal left behind, plain read-only so its pages are seen.
    uri = path.resolve().as_uri() + ("?mode=ro" if has_wal else "?mode=ro&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT value FROM app_meta WHERE key = ?", (VENUES,)).fetchone()
        return VenueSettings.from_dict(json.loads(row[0])) if row is not None else None
    except (sqlite3.Error, ValueError, TypeError, DomainError):
        return None
    finally:
        conn.close()
