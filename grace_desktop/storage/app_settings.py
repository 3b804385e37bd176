"""Installation-wide settings (not an account's): venue connections, one validated JSON row per group.

Secrets never come here: a VenueSettings holds URLs and key *file paths* only (the keys are in
the OS keyring).
"""

from __future__ import annotations

import json
import time

from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.storage.base import Repository, writes

VENUES = "venues"


class AppSettingsRepository(Repository):
    def venue_settings(self) -> VenueSettings | None:
        """The saved venue settings, or None if none were ever saved (then a caller may migrate old ones)."""
        row = self._store.query_one("SELECT data FROM app_settings WHERE name = ?", (VENUES,))
        if row is None:
            return None
        return VenueSettings.from_dict(json.loads(row["data"]))

    @writes
    def save_venue_settings(self, settings: VenueSettings) -> None:
        """Validated again on the way in (a DomainError names the field); an invalid value saves nothing."""
        if not isinstance(settings, VenueSettings):
            raise ValueError(f"settings: expected VenueSettings, got {type(settings).__name__}")
        checked = VenueSettings.from_dict(settings.to_dict())
        self._store.execute(
            "INSERT INTO app_settings (name, data, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            (VENUES, json.dumps(checked.to_dict(), sort_keys=True), time.time()),
        )
