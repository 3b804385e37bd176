"""What the venue contract suite needs from a venue: the venue itself, an account, markets, and a way to move prices.

Each venue under test comes from a factory: an async context manager that builds and starts
it (with whatever stand-in it needs: a loopback HTTP server for Mango V3, a router and RPC
stand-in for spot) and yields a `Harness`. Register the factory in `VENUES`, one line, and
the whole suite runs against it, each case skipped unless the venue declares its capability.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grace_desktop.domain.models import Order
from grace_desktop.storage import open_storage
from grace_desktop.venues.base import Venue
from grace_desktop.venues.paper import PaperVenue
from tests.venues.mango_service import MangoService
from tests.venues.remote_double import PartialFills, RemoteDouble


@dataclass
class Harness:
    venue: Venue
    set_price: Callable[[str, float], Awaitable[Any]]  # moves the venue's mark (a tick, a loopback quote)
    account: str = "contract"
    perp: str = "SOL-PERP"  # a perp market, if the venue has PERP
    spot: str = "SOL/USDC"  # a spot market, if the venue has SPOT
    prices: dict[str, float] = field(default_factory=lambda: {"SOL-PERP": 100.0, "SOL/USDC": 100.0})
    size: float = 1.0  # an order size that fits the account in both markets
    timeout: float = 5.0  # how long a remote venue may take to settle an order

    async def wait_final(self, client_id: str) -> Order:
        """The order once the venue says it is final (filled, cancelled...), polling by client id."""

        async def poll() -> Order:
            while True:
                order = await self.venue.order_by_client_id(self.account, client_id)
                if order is not None and order.status.is_final:
                    return order
                await asyncio.sleep(0.005)

        return await asyncio.wait_for(poll(), self.timeout)


Factory = Callable[[Path], AbstractAsyncContextManager[Harness]]


@asynccontextmanager
async def paper(tmp_path: Path) -> AsyncIterator[Harness]:
    with open_storage(tmp_path / "paper") as store:
        venue = PaperVenue(store, slippage_bps=2.0)
        await venue.start()
        harness = Harness(venue, venue.push_tick)
        for market, price in harness.prices.items():
            await venue.push_tick(market, price)
        try:
            yield harness
        finally:
            await venue.close()


@asynccontextmanager
async def remote_double(tmp_path: Path) -> AsyncIterator[Harness]:
    """The double without faults, but filling market orders in parts as a remote book may."""
    with open_storage(tmp_path / "remote") as store:
        venue = RemoteDouble(store=store, slippage_bps=2.0, partial_fills=PartialFills(parts=3, interval=0.005))
        await venue.start()
        harness = Harness(venue, venue.push_tick)
        for market, price in harness.prices.items():
            await venue.push_tick(market, price)
        try:
            yield harness
        finally:
            await venue.close()


@asynccontextmanager
async def mango_v3_loopback(tmp_path: Path) -> AsyncIterator[Harness]:
    """The Mango V3 adapter over real HTTP to the loopback mango-v3-service (tests/venues/mango_service.py)."""
    from grace_desktop.venues.mango_v3 import create_venue

    service = MangoService().start()
    venue = create_venue(service.url, poll_interval=0.05, rate=500, burst=50, timeout=3.0)

    async def set_price(market: str, price: float) -> None:
        service.state.set_price(market, price)

    try:
        await venue.start()
        yield Harness(venue, set_price, prices={"SOL-PERP": 100.0})
    finally:
        await venue.close()
        service.stop()


@asynccontextmanager
async def spot_router_loopback(tmp_path: Path) -> AsyncIterator[Harness]:
    """The spot venue on loopback Jupiter v2 + Solana RPC servers, with a funded test keypair."""
    from tests.venues.spot.stack import spot_loop

    async with spot_loop(tmp_path / "spot") as loop:
        yield Harness(loop.venue, loop.set_price, prices={"SOL/USDC": 100.0})


VENUES: dict[str, Factory] = {
    "paper": paper,
    "remote_double": remote_double,
    "mango_v3": mango_v3_loopback,
    "spot": spot_router_loopback,
}
