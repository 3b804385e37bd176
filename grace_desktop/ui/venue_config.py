"""Venue settings for the window: read from and saved to the database through the services.

Earlier versions kept them in the per-data-dir QSettings file (group "venues") and the router
API key in one keyring entry. `migrate_legacy` moves those once into the database (and the key
into its router's own keyring slot) the first time a window opens a data dir with no venue
settings saved; from then on the old values are removed and ignored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.services import secrets
from grace_desktop.services.venue_settings import (
    apply_cli_overrides,
    has_saved_venue_settings,
    load_venue_settings,
)
from grace_desktop.storage import Storage
from grace_desktop.ui.qt import QSettings

log = logging.getLogger(__name__)

LEGACY_GROUP = "venues"
LEGACY_KEY_NAME = "spot_router_api_key"  # the single keyring entry of earlier versions


def _legacy_values(qsettings: QSettings) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in ("mango_url", "mango_key_file", "spot_router_url", "spot_rpc_url", "spot_key_file",
                 "spot_slippage_bps"):
        stored = qsettings.value(f"{LEGACY_GROUP}/{name}")
        if stored is not None and str(stored).strip():
            values[name] = str(stored).strip()
    return values


def legacy_to_settings(old: dict[str, str]) -> VenueSettings:
    """Map the old QSettings fields onto VenueSettings; a value that no longer validates keeps its default.

    The old Mango URL had no /api and was used only with --venue mango_v3, so the account comes
    over switched off: nothing starts trading on it without the user saying so.
    """
    changes: dict[str, Any] = {}
    if "mango_url" in old:
        parts = urlsplit(old["mango_url"])
        path = parts.path.rstrip("/")
        changes["mango_url"] = urlunsplit(parts._replace(path=path if path.endswith("/api") else path + "/api"))
    if "spot_router_url" in old:
        parts = urlsplit(old["spot_router_url"])
        changes["spot_router_url"] = urlunsplit((parts.scheme, parts.netloc, "", "", ""))  # the root only
    for old_name, new_name in (("mango_key_file", "mango_key_file"), ("spot_rpc_url", "spot_rpc_url"),
                               ("spot_key_file", "spot_keypair_file"), ("spot_slippage_bps", "spot_slippage_bps")):
        if old_name in old:
            changes[new_name] = old[old_name]
    settings = VenueSettings()
    for name, value in changes.items():
        try:
            settings = settings.updated(**{name: value})
        except DomainError as exc:
            log.warning("not migrating the old venue setting %s: %s", name, exc)
    return settings


def _move_legacy_key() -> None:
    """The old single router key was Jupiter's (the only router then): move it into its own slot."""
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        secret = keyring.get_password(secrets.SERVICE, LEGACY_KEY_NAME)
        if secret is None:
            return
        if keyring.get_password(secrets.SERVICE, secrets.ROUTER_KEY_SLOTS["jupiter"]) is None:
            keyring.set_password(secrets.SERVICE, secrets.ROUTER_KEY_SLOTS["jupiter"], secret)
        keyring.delete_password(secrets.SERVICE, LEGACY_KEY_NAME)
    except (KeyringError, PasswordDeleteError) as exc:
        log.warning("could not move the old router key in the keyring (%s)", type(exc).__name__)


async def migrate_legacy(store: Storage, qsettings: QSettings) -> bool:
    """Once: old QSettings venue values into the database, then remove them. True if it migrated."""
    old = _legacy_values(qsettings)
    if old and not has_saved_venue_settings(store):
        await store.write(store.app_settings.save_venue_settings, legacy_to_settings(old))
        await asyncio.to_thread(_move_legacy_key)
        migrated = True
    else:
        migrated = False
    if qsettings.childGroups().count(LEGACY_GROUP) or old:
        qsettings.remove(LEGACY_GROUP)  # ignored from now on: the database is the one source
        qsettings.sync()
    return migrated


async def window_venue_settings(store: Storage, qsettings: QSettings | None, cli_args: Any = None) -> VenueSettings:
    """What the window's services start with: legacy values migrated once, the database's
    settings, then the command line's overrides."""
    if qsettings is not None:
        await migrate_legacy(store, qsettings)
    settings = load_venue_settings(store)
    return apply_cli_overrides(settings, cli_args) if cli_args is not None else settings
