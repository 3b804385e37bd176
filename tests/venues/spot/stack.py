"""A spot venue on the loopback servers: a funded test keypair, a Chain, the router and RPC stand-ins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solders.keypair import Keypair

from grace_desktop.services.container import Services, build_services
from grace_desktop.storage import open_storage
from grace_desktop.venues.spot import SpotVenue, create_venue
from grace_desktop.venues.spot.tokens import SOL_MINT, USDC_MINT
from tests.venues.spot.chain import Chain
from tests.venues.spot.servers import GMGN_KEY, Loopback

MARKET = "SOL/USDC"
START_USDC = 10_000
START_LAMPORTS = 100_000_000  # 0.1 SOL for network fees


@dataclass
class SpotLoop:
    venue: SpotVenue
    chain: Chain
    loopback: Loopback
    keypair: Keypair

    @property
    def owner(self) -> str:
        return str(self.keypair.pubkey())

    async def set_price(self, market: str, price: float) -> None:
        """Move the SOL price on the loopback and wait until the venue's poll has seen it."""
        assert market == MARKET
        self.chain.set_price(SOL_MINT, price)

        async def seen() -> None:
            while self.venue.last_price(market) != price:
                await asyncio.sleep(0.005)

        await asyncio.wait_for(seen(), 5.0)

    def distinct_swaps(self) -> int:
        """Swaps that really happened on the chain: distinct signatures that landed."""
        return len(set(self.chain.landed))


def venue_options(**overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = dict(price_interval=0.01, rate_interval=0.0, poll=0.01, rebroadcast=0.05,
                                   ack_wait=2.0, slippage_bps=50)
    options.update(overrides)
    return options


@asynccontextmanager
async def spot_loop(data_dir: Path | None, *, router: str = "jupiter", fallback: bool = False,
                    api_key: str | None = None, fallback_api_key: str | None = None, chain: Chain | None = None,
                    keypair: Keypair | None = None, **options: Any) -> AsyncIterator[SpotLoop]:
    chain = chain or Chain()
    keypair = keypair or Keypair()
    if not chain.balances:
        chain.fund(keypair.pubkey(), USDC_MINT, START_USDC * 10**6)
        chain.fund(keypair.pubkey(), SOL_MINT, START_LAMPORTS)
    loopback = Loopback(chain)
    if router == "gmgn" and api_key is None:
        api_key = GMGN_KEY
    venue = create_venue(router=router, router_url=loopback.router_url, rpc_url=loopback.rpc_url, keypair=keypair,
                         api_key=api_key, tokens=("SOL",), fallback=fallback, fallback_url=loopback.router_url,
                         fallback_api_key=fallback_api_key, price_url=loopback.router_url, data_dir=data_dir,
                         **venue_options(**options))
    try:
        await venue.start()

        async def priced() -> None:
            while venue.last_price(MARKET) is None:
                await asyncio.sleep(0.005)

        await asyncio.wait_for(priced(), 5.0)
        yield SpotLoop(venue, chain, loopback, keypair)
    finally:
        await venue.close()
        loopback.close()


@asynccontextmanager
async def spot_services(tmp_path: Path, *, account: str | None = None,
                        **loop_options: Any) -> AsyncIterator[tuple[SpotLoop, Services]]:
    """The whole service graph (journal in a real SQLite file under tmp_path/data) on a spot loop.
    `account`: trade as that internal account (the self-test's) instead of the venue's own."""
    store = open_storage(tmp_path / "data")
    extra: dict[str, Any] = {} if account is None else {"account": account, "internal_account": True}
    try:
        async with spot_loop(tmp_path / "spot", **loop_options) as loop:
            services = await build_services(store, "spot", venues={"spot": loop.venue}, sweep_interval=3600,
                                            order_timeout=3.0, **extra)
            try:
                yield loop, services
            finally:
                await services.stop()
    finally:
        store.close()
