"""Spot venue: Solana token swaps through Jupiter Swap API v2 or GMGN's router, signed on this machine
with solders, sent and confirmed over Solana JSON-RPC, priced by Jupiter Price v3.

`create_venue` takes plain arguments (the settings layer decides where they come from); `load_keypair`
reads a Solana CLI key file or a base58 string into a `Wallet` that never shows its secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from solders.keypair import Keypair

from grace_desktop.venues.spot.http import JsonApi
from grace_desktop.venues.spot.keys import KeyRefused, Wallet, load_keypair
from grace_desktop.venues.spot.prices import JupiterPrices
from grace_desktop.venues.spot.routers import GMGN_ROOT, JUPITER_ROOT, GmgnRouter, JupiterRouter, SpotRouter
from grace_desktop.venues.spot.rpc import SolanaRpc
from grace_desktop.venues.spot.tokens import spot_tokens
from grace_desktop.venues.spot.venue import SpotVenue

__all__ = ["KeyRefused", "SpotVenue", "Wallet", "create_venue", "load_keypair"]
ROUTERS = ("jupiter", "gmgn")
PRICE_INTERVAL_S = 10.0  # Jupiter's keyless limit is 0.5 requests/s, shared with quotes: prices take a fifth
# A steady price is re-sent this often: under the monitor's 30 s stale limit even with a poll's delay, and
# how soon a subscriber that came after the last change (the window's monitor) gets its first mark.
PRICE_REFRESH_S = 15.0


def create_venue(
    *, router: str = "jupiter", router_url: str | None = None, rpc_url: str,
    keypair: Wallet | Keypair | None, api_key: str | None = None, tokens: Sequence[str] = ("SOL",),
    slippage_bps: int = 50, fallback: bool = False, fallback_url: str | None = None,
    fallback_api_key: str | None = None, price_url: str | None = None, via_rpc: bool = False,
    data_dir: Path | None = None, name: str = "spot", price_interval: float = PRICE_INTERVAL_S,
    rate_interval: float | None = None, price_refresh: float = PRICE_REFRESH_S, **venue_options: object,
) -> SpotVenue:
    """A SpotVenue for `router` ("jupiter" | "gmgn") at `router_url` (a root: scheme://host[:port]).

    With `fallback`, the other router (at `fallback_url`, its documented root by default) quotes when
    the first cannot; GMGN needs its own key (`fallback_api_key` when it is the fallback). Prices come
    from Jupiter Price v3 at `price_url` (default: the Jupiter root in use). `rate_interval` overrides
    every client's documented rate (tests). The swap record goes to `data_dir`/spot_swaps.json.
    """
    if router not in ROUTERS:
        raise ValueError(f"spot router: must be one of {', '.join(ROUTERS)}, got {router!r}")
    wallet = keypair if isinstance(keypair, Wallet) or keypair is None else Wallet(keypair)
    quote, bases = spot_tokens(tokens)
    other = "gmgn" if router == "jupiter" else "jupiter"
    roots = {router: (router_url or (JUPITER_ROOT if router == "jupiter" else GMGN_ROOT)).rstrip("/"),
             other: (fallback_url or (JUPITER_ROOT if other == "jupiter" else GMGN_ROOT)).rstrip("/")}
    keys = {router: api_key, other: fallback_api_key}

    def build(which: str) -> SpotRouter:
        if which == "jupiter":
            return JupiterRouter(roots[which], api_key=keys[which], via_rpc=via_rpc, interval=rate_interval)
        if rate_interval is not None:
            return GmgnRouter(roots[which], api_key=keys[which], interval=rate_interval)
        return GmgnRouter(roots[which], api_key=keys[which])

    routers = [build(router)]
    if fallback and (other == "jupiter" or keys[other]):
        routers.append(build(other))  # GMGN without its route key cannot serve as a fallback
    jupiter = next((rt for rt in routers if isinstance(rt, JupiterRouter)), None)
    price_root = (price_url or roots["jupiter"]).rstrip("/")
    if jupiter is not None and price_root == jupiter.api.root:
        # Same API, same key, same bucket: quotes and price polls share Jupiter's limit.
        price_api = JsonApi("Jupiter price", price_root, interval=0, deadline=10.0, limiter=jupiter.api.limiter,
                            headers={"x-api-key": keys["jupiter"]} if keys["jupiter"] else None)
    else:
        price_api = JsonApi("Jupiter price", price_root, interval=rate_interval if rate_interval is not None else 2.0,
                            deadline=10.0, headers={"x-api-key": keys["jupiter"]} if keys["jupiter"] else None)
    prices = JupiterPrices(price_api, quote, bases, venue=name, publish=lambda _t: None, interval=price_interval,
                           refresh=price_refresh)
    rpc = SolanaRpc(rpc_url)
    records = None if data_dir is None else Path(data_dir) / "spot_swaps.json"
    return SpotVenue(wallet=wallet, routers=routers, rpc=rpc, prices=prices, quote=quote, bases=bases,
                     slippage_bps=slippage_bps, fallback=fallback, records_path=records, name=name,
                     **venue_options)  # type: ignore[arg-type]
