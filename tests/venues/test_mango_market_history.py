"""The chart's reads from a Mango venue: its order book (the service's depth limits) and candles
(resolution in minutes, times in seconds), over real HTTP to the loopback service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from grace_desktop.domain.candles import timeframe_seconds
from grace_desktop.venues.mango_v3 import create_venue
from grace_desktop.venues.mango_v3.venue import MangoV3Venue
from tests.venues.mango_service import MangoService


@pytest.fixture
async def venue() -> AsyncIterator[tuple[MangoV3Venue, MangoService]]:
    service = MangoService().start()
    v = create_venue(service.url, poll_interval=0.05, rate=500, burst=50, timeout=3.0)
    await v.start()
    try:
        yield v, service
    finally:
        await v.close()
        service.stop()


async def test_order_book_best_prices_first_at_any_requested_depth(venue) -> None:
    v, service = venue
    service.state.set_price("SOL-PERP", 100.0)
    book = await v.orderbook("SOL-PERP", 5)  # the service takes 20..100 only: asked for 20, cut to 5
    bid, ask = service.state.quote(service.state.markets["SOL-PERP"])
    assert len(book["bids"]) == 5 and len(book["asks"]) == 5
    assert book["bids"][0][0] == pytest.approx(bid) and book["asks"][0][0] == pytest.approx(ask)
    assert [p for p, _ in book["bids"]] == sorted((p for p, _ in book["bids"]), reverse=True)
    assert [p for p, _ in book["asks"]] == sorted(p for p, _ in book["asks"])


async def test_candles_come_back_in_the_charts_timeframe(venue) -> None:
    v, service = venue
    for price in (100.0, 103.0, 99.0, 101.0):
        service.state.set_price("SOL-PERP", price)
    rows = await v.candles("SOL-PERP", "1h")
    assert rows, "the service's candles for the last hour"
    ts, o, h, low, c, _vol = rows[-1]
    assert ts % timeframe_seconds("1h") == 0  # hour buckets: resolution 60 minutes was asked for
    assert (h, low, c) == (103.0, 99.0, 101.0) and o in (100.0, 103.0, 99.0, 101.0)
