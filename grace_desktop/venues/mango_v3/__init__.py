"""Mango V3 through a mango-v3-service (REST, MANGO_V3_API.md): client, parsing, exact rounding, the venue."""

from __future__ import annotations

from typing import Any

from grace_desktop.venues.mango_v3.client import DEFAULT_URL, MangoV3Client
from grace_desktop.venues.mango_v3.venue import MangoV3Venue

_CLIENT_OPTIONS = ("timeout", "read_attempts", "backoff", "max_backoff", "rate", "burst")


def create_venue(base_url: str = DEFAULT_URL, *, key_file: str | None = None, poll_interval: float = 1.0,
                 **opts: Any) -> MangoV3Venue:
    """A MangoV3Venue on the service at `base_url` (including `/api`).

    `key_file` is accepted for the settings' sake but never read here: the service signs with its
    own key, so the adapter holds no secret. Client options (timeout, read_attempts, backoff,
    max_backoff, rate, burst) go to the HTTP transport; the rest (landing_window, confirm_window,
    market_cap, account, account_pubkey, clock, name) to the venue.
    """
    client_opts = {k: opts.pop(k) for k in _CLIENT_OPTIONS if k in opts}
    return MangoV3Venue(MangoV3Client(base_url, **client_opts), poll_interval=poll_interval, **opts)


__all__ = ["DEFAULT_URL", "MangoV3Client", "MangoV3Venue", "create_venue"]
