"""Installation-wide settings (not an account's): venue connections, one validated JSON row per group.

Secrets never come here: a VenueSettings holds URLs and key *file paths* only (the keys are in
the OS keyring).
"""

from __future__ import annotations

import json
import time

from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.storage.base import Repository, writes

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
