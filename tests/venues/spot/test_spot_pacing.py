"""The client keeps each router's documented per-key pace, checked by the stand-ins refusing any
call that comes sooner (scaled for tests: 0.2 s for Jupiter's keyless 2 s and GMGN's 5 s). Jupiter's
quotes and price polls share one bucket; every GMGN call (route and send) shares another."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import OrderRequest
from tests.venues.spot.stack import MARKET, spot_loop
from tests.venues.spot.test_spot_faults import ACCOUNT, final

GAP = 0.2  # the client's pace; the stand-in allows half of it, for jitter on a loaded machine


@pytest.mark.parametrize(("router", "bucket"), [("jupiter", "jupiter"), ("gmgn", "gmgn")])
async def test_a_buy_and_a_sell_back_to_back_keep_the_routers_pace(tmp_path: Path, router: str, bucket: str) -> None:
    async with spot_loop(tmp_path, router=router, rate_interval=GAP, price_interval=0.01) as loop:
        loop.loopback.pace[bucket] = GAP / 2
        for side in ("buy", "sell"):
            request = OrderRequest(ACCOUNT, MARKET, side, 1.0, client_id=loop.venue.new_client_id())
            placed = await loop.venue.place_order(request)
            assert await final(loop, placed.client_id) is OrderStatus.FILLED
        await asyncio.sleep(3 * GAP)  # price polls go on meanwhile, as often as the shared bucket allows
        assert loop.loopback.too_fast == {}
        assert loop.distinct_swaps() == 2 and loop.loopback.calls["price"] >= 2
        assert await loop.venue.positions(ACCOUNT) == []
