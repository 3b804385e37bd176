"""Venue connection settings the user edits in the Settings panel.

Non-secret values (URLs, file paths, slippage) live in the per-data-dir QSettings file next
to the window layout. Secrets (the router API key) go only to the OS keyring, through a
worker thread (some keyring backends swap the event loop of the calling thread), and are
never read back into a widget, a log line or this file.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import urlparse

from grace_desktop.domain.errors import DomainError
from grace_desktop.ui.qt import QSettings

log = logging.getLogger(__name__)

KEYRING_SERVICE = "grace-desktop"
ROUTER_KEY_NAME = "spot_router_api_key"
GROUP = "venues"


@dataclass(frozen=True, slots=True)
class VenueConfig:
    mango_url: str = ""
    mango_key_file: str = ""
    spot_router_url: str = "https://api.jup.ag/swap/v1"
    spot_rpc_url: str = "https://api.mainnet-beta.solana.com"
    spot_key_file: str = ""
    spot_slippage_bps: int = 50

    def __post_init__(self) -> None:
        for name in ("mango_url", "spot_router_url", "spot_rpc_url"):
            value = getattr(self, name).strip()
            object.__setattr__(self, name, value)
            if value:
                url = urlparse(value)
                if url.scheme not in ("http", "https") or not url.netloc:
                    raise DomainError(name, f"must be an http(s) URL, got {value!r}")
        for name in ("mango_key_file", "spot_key_file"):
            value = getattr(self, name).strip()
            object.__setattr__(self, name, value)
            if value and not Path(value).expanduser().is_file():
                raise DomainError(name, f"no such file: {value}")
        try:
            bps = int(str(self.spot_slippage_bps).strip())
        except ValueError:
            raise DomainError("spot_slippage_bps", f"must be a whole number of basis points, got {self.spot_slippage_bps!r}") from None
        if not 0 < bps <= 1000:
            raise DomainError("spot_slippage_bps", f"must be in 1..1000 bps (10 %), got {bps}")
        object.__setattr__(self, "spot_slippage_bps", bps)

    @classmethod
    def load(cls, settings: QSettings) -> VenueConfig:
        values = {}
        for f in fields(cls):
            stored = settings.value(f"{GROUP}/{f.name}")
            if stored is not None:
                values[f.name] = stored
        try:
            return cls(**values)
        except DomainError as exc:
            # A file that moved since last run must not stop the app; the panel shows defaults.
            log.warning("ignoring stored venue settings: %s", exc)
            return cls()

    def save(self, settings: QSettings) -> None:
        for name, value in asdict(self).items():
            settings.setValue(f"{GROUP}/{name}", value)
        settings.sync()


async def store_router_key(secret: str) -> None:
    """Put the key in the OS keyring; raises RuntimeError (without the key) when none is usable."""

    def _set() -> None:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(KEYRING_SERVICE, ROUTER_KEY_NAME, secret)
        except KeyringError as exc:
            raise RuntimeError(f"the system keyring refused the key ({type(exc).__name__})") from None

    await asyncio.to_thread(_set)


async def router_key_is_stored() -> bool:
    def _probe() -> bool:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, ROUTER_KEY_NAME) is not None
        except KeyringError:
            return False

    return await asyncio.to_thread(_probe)


async def forget_router_key() -> None:
    def _delete() -> None:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(KEYRING_SERVICE, ROUTER_KEY_NAME)
        except (PasswordDeleteError, KeyringError):
            pass

    await asyncio.to_thread(_delete)
