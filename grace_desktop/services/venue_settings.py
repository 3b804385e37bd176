"""Venue settings as every mode reads them: the database's, then the command line's overrides.

The window, --headless and --self-test all call `load_venue_settings`; flags given on the
command line win for that run only (they are not saved).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.storage import Storage
from grace_desktop.venues.keyfiles import check_key_file

if TYPE_CHECKING:
    from grace_desktop.services.container import Services

log = logging.getLogger(__name__)

# command-line option (argparse dest) -> VenueSettings field
CLI_OVERRIDES = {
    "mango_url": "mango_url",
    "spot_router": "spot_router",
    "router_url": "spot_router_url",
    "rpc_url": "spot_rpc_url",
    "keypair": "spot_keypair_file",
    "feed": "feed",
    "feed_url": "feed_url",
}


def load_venue_settings(store: Storage) -> VenueSettings:
    """The saved settings; the defaults when none were saved or the saved row no longer validates
    (logged: a bad row must not keep the app, and so its settings panel, from starting)."""
    try:
        saved = store.app_settings.venue_settings()
    except (DomainError, ValueError) as exc:
        log.warning("ignoring the saved venue settings (%s); using the defaults until they are saved again", exc)
        return VenueSettings()
    return saved if saved is not None else VenueSettings()


def has_saved_venue_settings(store: Storage) -> bool:
    try:
        return store.app_settings.venue_settings() is not None
    except (DomainError, ValueError):
        return True  # a row is there, only invalid: not a first run to migrate into


def check_before_saving(settings: VenueSettings) -> VenueSettings:
    """What must hold before settings are saved: the values validate, a Mango account on plain http
    to another machine was confirmed, and each key file given is private to the user. Raises
    DomainError or KeyFileError (with the command that fixes it)."""
    # Here, not at the top: the spot package (solders, httpx) must not load before the window's first paint.
    from grace_desktop.venues.spot.tokens import spot_tokens

    checked = VenueSettings.from_dict(settings.to_dict())
    try:  # a symbol the venue does not know would only be refused at the next start
        spot_tokens(checked.spot_tokens)
    except ValueError as exc:
        raise DomainError("spot_tokens", str(exc)) from None
    if checked.mango_enabled:
        checked.check_mango_url_confirmed()
    for path in (checked.mango_key_file, checked.spot_keypair_file):
        if path:
            check_key_file(path)
    return checked


async def save_venue_settings(store: Storage, settings: VenueSettings) -> VenueSettings:
    """Check (see check_before_saving), then write on the storage writer thread; returns what was saved."""
    checked = check_before_saving(settings)
    await store.write(store.app_settings.save_venue_settings, checked)
    return checked


async def save_and_apply(services: Services, settings: VenueSettings) -> str:
    """Save, then make the running services use it (the Mango account connected, replaced or removed).

    Returns what happened for the window. A Mango venue that cannot be built or reached leaves the
    settings saved (they are what the user chose) and says why; paper keeps running.
    """
    saved = await save_venue_settings(services.store, settings)
    try:
        return await services.apply_venue_settings(saved)
    except Exception as exc:  # noqa: BLE001 - shown to the user, who can fix and save again
        log.warning("venue settings saved but not applied: %s", exc)
        return f"Saved, but the Mango account is not connected: {exc}"


def apply_cli_overrides(settings: VenueSettings, args: Any) -> VenueSettings:
    """Flags given on the command line (not None) replace the stored values; a bad one raises DomainError.

    --mango-url also turns the Mango account on for this run, and typing a plain-http URL to
    another machine on the command line is the confirmation (the window asks instead).
    """
    changes: dict[str, Any] = {}
    for option, field in CLI_OVERRIDES.items():
        value = getattr(args, option, None)
        if value is not None:
            changes[field] = value
    if not changes:
        return settings
    if "mango_url" in changes:
        changes["mango_enabled"] = True
        changes["mango_insecure_confirmed"] = True
    return VenueSettings.from_dict({**settings.to_dict(), **changes})


def effective_venue_settings(store: Storage, args: Any) -> VenueSettings:
    return apply_cli_overrides(load_venue_settings(store), args)
