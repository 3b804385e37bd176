"""A price subscriber that comes after the last change (the window's monitor, the self-test) starts
from the last price at once, with that price's own time, not after the next change or refresh."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.venues.spot.stack import MARKET, spot_loop


async def test_a_late_subscriber_gets_the_last_price_at_once(tmp_path: Path) -> None:
    async with spot_loop(tmp_path, price_interval=60.0, price_refresh=60.0) as loop:
        first = loop.venue.prices.last_ticks[MARKET]
        stream = loop.venue.subscribe_prices([MARKET])
        tick = await asyncio.wait_for(anext(aiter(stream)), 1.0)
        assert (tick.market, tick.price, tick.ts) == (MARKET, first.price, first.ts)
        other = loop.venue.subscribe_prices(["JUP/USDC"])  # another market's subscriber gets nothing of SOL's
        assert not await asyncio.wait_for(_pending(other), 1.0)


async def _pending(stream) -> bool:
    try:
        await asyncio.wait_for(anext(aiter(stream)), 0.1)
    except TimeoutError:
        return False
    return True
