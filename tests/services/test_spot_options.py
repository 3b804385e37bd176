"""The spot venue's arguments as start-up builds them from the settings and the keyring."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from solders.keypair import Keypair

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.services.spot_options import spot_options
from grace_desktop.services.venue_settings import save_venue_settings
from grace_desktop.venues.spot import create_venue
from grace_desktop.venues.spot.routers import GMGN_ROOT, JUPITER_ROOT


def key_file(tmp_path: Path) -> str:
    path = tmp_path / "id.json"
    path.write_text(json.dumps(list(bytes(Keypair()))))
    os.chmod(path, 0o600)
    return str(path)


async def test_gmgn_chosen_with_the_default_url_goes_to_gmgns_own_root(ring, tmp_path) -> None:
    ring.set_password("grace-desktop", "gmgn_api_key", "route-key")
    settings = VenueSettings(spot_router="gmgn", spot_keypair_file=key_file(tmp_path))
    assert settings.spot_router_url == JUPITER_ROOT  # what the settings hold when only the router changed
    options = await spot_options(settings)
    venue = create_venue(**options)
    try:
        assert [rt.api.root for rt in venue.routers] == [GMGN_ROOT]  # type: ignore[attr-defined]
    finally:
        await venue.close()


async def test_a_router_url_the_user_gave_is_kept(ring, tmp_path) -> None:
    ring.set_password("grace-desktop", "gmgn_api_key", "route-key")
    options = await spot_options(VenueSettings(spot_router="gmgn", spot_router_url="http://127.0.0.1:8899",
                                               spot_keypair_file=key_file(tmp_path)))
    assert options["router_url"] == "http://127.0.0.1:8899"
    options = await spot_options(VenueSettings(spot_keypair_file=key_file(tmp_path)))
    assert options["router"] == "jupiter" and options["router_url"] == JUPITER_ROOT


async def test_a_token_the_venue_cannot_trade_is_refused_when_saved_and_symbol_mint_is_accepted(store) -> None:
    with pytest.raises(DomainError, match="spot_tokens: token 'FOO': not a known symbol"):
        await save_venue_settings(store, VenueSettings(spot_tokens=("SOL", "FOO")))
    wif = "WIF=EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
    saved = await save_venue_settings(store, VenueSettings(spot_tokens=("SOL", wif)))
    assert saved.spot_tokens == ("SOL", wif)
    assert store.app_settings.venue_settings().spot_tokens == ("SOL", wif)
