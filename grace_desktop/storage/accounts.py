"""Account profiles (venue and name only: secrets live in the OS keyring, never here) and their settings."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from grace_desktop.domain import validation as v
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.storage.base import Repository
from grace_desktop.storage.records import AccountRecord

_SETTING_NAMES = frozenset(f.name for f in fields(AccountSettings))


class AccountRepository(Repository):
    def ensure(self, name: str, venue: str) -> AccountRecord:
        """Create the account if missing (idempotent). An existing account keeps its venue unless it had none."""
        name = v.text("name", name)
        venue = v.text("venue", venue)
        self._store.ensure_account(name, venue)
        record = self.get(name)
        assert record is not None
        return record

    def get(self, name: str) -> AccountRecord | None:
        row = self._store.query_one("SELECT name, venue, created_at FROM accounts WHERE name = ?", (name,))
        return None if row is None else AccountRecord(row["name"], row["venue"], row["created_at"])

    def list(self) -> list[AccountRecord]:
        rows = self._store.query("SELECT name, venue, created_at FROM accounts ORDER BY created_at, name")
        return [AccountRecord(r["name"], r["venue"], r["created_at"]) for r in rows]


class SettingsRepository(Repository):
    def get(self, account: str) -> AccountSettings:
        """Saved settings, or the defaults when none were saved.

        Keys a newer or older version no longer knows are dropped, so a removed setting
        never stops an account from loading.
        """
        row = self._store.query_one("SELECT data FROM settings WHERE account = ?", (account,))
        if row is None:
            return AccountSettings()
        data = json.loads(row["data"])
        return AccountSettings.from_dict({k: val for k, val in data.items() if k in _SETTING_NAMES})

    def save(self, account: str, settings: AccountSettings | Mapping[str, Any]) -> None:
        """Validate through AccountSettings (a DomainError names the bad field), then write; invalid saves nothing."""
        account = v.text("account", account)
        if isinstance(settings, AccountSettings):
            # Round-trip through the constructor so a value smuggled past __post_init__ is caught too.
            checked = AccountSettings.from_dict(settings.to_dict())
        elif isinstance(settings, Mapping):
            checked = AccountSettings.from_dict(dict(settings))
        else:
            raise ValueError(f"settings: expected AccountSettings, got {type(settings).__name__}")
        data = json.dumps(checked.to_dict(), sort_keys=True)
        with self._store.transaction() as store:
            store.ensure_account(account)
            store.conn.execute(
                "INSERT INTO settings (account, data, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(account) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                (account, data, time.time()),
            )
