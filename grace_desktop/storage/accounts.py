"""Account profiles (venue and name only: secrets live in the OS keyring, never here) and their settings."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from grace_desktop.domain import validation as v
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.storage.base import Repository, writes
from grace_desktop.storage.records import AccountRecord

_SETTING_NAMES = frozenset(f.name for f in fields(AccountSettings))


def _record(row: sqlite3.Row) -> AccountRecord:
    return AccountRecord(row["name"], row["venue"], row["created_at"], bool(row["internal"]))


class AccountRepository(Repository):
    @writes
    def ensure(self, name: str, venue: str, internal: bool = False) -> AccountRecord:
        """Create the account if missing (idempotent). An existing account keeps its venue unless it had none.

        internal=True marks it as the app's own (the self-test's), hidden from list(); an account once
        marked internal stays so (a later ensure without the flag does not show it again).
        """
        name = v.text("name", name)
        venue = v.text("venue", venue)
        self._store.ensure_account(name, venue, internal=bool(internal))
        record = self.get(name)
        assert record is not None
        return record

    def get(self, name: str) -> AccountRecord | None:
        row = self._store.query_one("SELECT name, venue, created_at, internal FROM accounts WHERE name = ?", (name,))
        return None if row is None else _record(row)

    def list(self, *, include_internal: bool = False) -> list[AccountRecord]:
        """The user's accounts, oldest first; the app's internal ones only with include_internal=True."""
        sql = "SELECT name, venue, created_at, internal FROM accounts"
        if not include_internal:
            sql += " WHERE internal = 0"
        return [_record(r) for r in self._store.query(sql + " ORDER BY created_at, name")]


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

    @writes
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
