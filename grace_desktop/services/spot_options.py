"""The spot venue's construction arguments from the venue settings (command-line flags already
applied) and the OS keyring: the router's API key and the wallet's keypair never pass through
the database, and the keypair is read from its file only after the file's permissions are checked."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.services.container import VenueUnavailableError
from grace_desktop.services.secrets import ROUTER_KEY_SLOTS, SecretStoreError, get_secret
from grace_desktop.services.spot_keys import KEYPAIR_SLOT

log = logging.getLogger(__name__)


async def spot_options(settings: VenueSettings) -> dict[str, Any]:
    """`venues.spot.create_venue`'s keyword arguments. The keypair comes from the settings' key file
    when one is set (refused unless only its owner can read it), else from the keyring's slot."""
    from grace_desktop.venues.spot import load_keypair

    router = settings.spot_router
    other = "gmgn" if router == "jupiter" else "jupiter"
    source = settings.spot_keypair_file or await _secret(KEYPAIR_SLOT)
    if not source:
        raise VenueUnavailableError("the spot venue needs the wallet's keypair: pass --keypair FILE "
                                    "(a Solana CLI key file only you can read) or import it in Settings")
    try:
        keypair = load_keypair(source)
    except ValueError as exc:
        raise VenueUnavailableError(f"spot wallet: {exc}") from None
    api_key = await _secret(ROUTER_KEY_SLOTS[router])
    if router == "gmgn" and not api_key:
        raise VenueUnavailableError(
            "GMGN's router needs its route key (x-route-key): save it in Settings → Spot → GMGN route key "
            "(kept in the OS keyring), or use --spot-router jupiter")
    from grace_desktop.venues.spot.routers import GMGN_ROOT, JUPITER_ROOT

    router_url: str | None = settings.spot_router_url
    if router_url == {"jupiter": JUPITER_ROOT, "gmgn": GMGN_ROOT}[other]:
        # The other router's documented root (the setting's default is Jupiter's) is never this router's:
        # GMGN chosen with the URL left as it was goes to GMGN's own root, not to api.jup.ag.
        router_url = None
    return {
        "router": router,
        "router_url": router_url,
        "rpc_url": settings.spot_rpc_url,
        "keypair": keypair,
        "api_key": api_key,
        "fallback": settings.spot_allow_fallback,
        "fallback_api_key": await _secret(ROUTER_KEY_SLOTS[other]) if settings.spot_allow_fallback else None,
        "tokens": settings.spot_tokens,
        "slippage_bps": settings.spot_slippage_bps,
    }


async def _secret(slot: str) -> str | None:
    """A slot's secret; None when no keyring is usable here (a router then runs keyless, at its
    low rate; a missing keypair is refused by the caller with what to do)."""
    try:
        return await get_secret(slot)
    except SecretStoreError as exc:
        log.debug("%s", exc)
        return None


async def probe_spot(options: dict[str, Any], *, deadline: float = 5.0) -> None:
    """Refuse, before any file is made, a token list the venue cannot trade or a Solana RPC that cannot
    give the tokens' decimals (what the venue reads first when it starts). The RPC is named by its host
    only: a provider's key often sits in the URL's path."""
    from grace_desktop.venues.base import VenueError
    from grace_desktop.venues.spot.rpc import SolanaRpc
    from grace_desktop.venues.spot.tokens import spot_tokens

    try:
        quote, bases = spot_tokens(options.get("tokens") or ("SOL",))
    except ValueError as exc:
        raise VenueUnavailableError(f"spot tokens: {exc}; fix the token list in Settings → Spot") from None
    url = str(options.get("rpc_url") or "")
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else repr(url)
    rpc = SolanaRpc(url, deadline=deadline)
    try:
        for token in (quote, *bases.values()):
            await rpc.decimals(token.mint)
    except VenueError as exc:
        raise VenueUnavailableError(f"the spot venue cannot use the Solana RPC at {where} ({exc}); "
                                    "start it or pass another --rpc-url") from None
    except (KeyError, TypeError, ValueError):
        raise VenueUnavailableError(f"the Solana RPC at {where} answered getTokenSupply with something that is "
                                    "not a token supply; pass another --rpc-url") from None
    finally:
        await rpc.close()
