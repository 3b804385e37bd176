"""The paper venue's order book (best levels = its own fill prices) and candles from its feed."""

from __future__ import annotations

import pytest

from grace_desktop.domain.candles import TIMEFRAMES
from grace_desktop.domain.models import OrderRequest
from grace_desktop.venues.feeds import ReplayFeed
from grace_desktop.venues.feeds.candles import default_candles_dir, read_candles
from grace_desktop.venues.paper import PaperVenue


async def test_book_best_levels_are_where_market_orders_fill(make_venue):
    venue = await make_venue(slippage_bps=5.0)
    assert await venue.orderbook("BTC-PERP", 5) is None  # no price yet
    await venue.push_tick("BTC-PERP", 60_000.0)
    book = await venue.orderbook("BTC-PERP", 5)
    bids, asks = book["bids"], book["asks"]
    assert len(bids) == len(asks) == 5
    assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
    assert [p for p, _ in asks] == sorted(p for p, _ in asks)
    assert bids[0][0] < 60_000.0 < asks[0][0]
    assert all(size > 0 for _, size in bids + asks)
    order = await venue.place_order(OrderRequest("alice", "BTC-PERP", "buy", 0.01, client_id=venue.new_client_id()))
    assert order.avg_fill_price == pytest.approx(asks[0][0])


async def test_candles_come_from_a_replay_feed_that_keeps_the_files_times(make_venue, store):
    replay = ReplayFeed(speed=0, retime=False)
    venue = PaperVenue(store, feed=replay)
    await venue.start(run_feed=False)  # the test moves the replay's position itself
    assert await venue.candles("SOL-PERP", "1h", None) == []  # nothing replayed yet: no history
    minutes = [c for c in read_candles(default_candles_dir() / "SOL-PERP_1m.csv")]
    replay.replayed_until = minutes[-1].ts + 60  # as if the whole file had been replayed
    hourly = await venue.candles("SOL-PERP", "1h", None)
    assert hourly and all(ts % TIMEFRAMES["1h"] == 0 for ts, *_ in hourly)
    assert sum(v for *_, v in hourly) == pytest.approx(sum(c.volume for c in minutes))
    assert max(h for _, _, h, _, _, _ in hourly) == max(c.high for c in minutes)
    later = await venue.candles("SOL-PERP", "1h", hourly[-3][0])
    assert len(later) == 3
    replay.replayed_until = minutes[100].ts + 30  # mid-replay: nothing from ahead of it
    partial = await venue.candles("SOL-PERP", "1m", None)
    assert partial[-1][0] < minutes[100].ts and len(partial) <= 100
    retimed = await make_venue(feed=ReplayFeed(speed=0))
    assert await retimed.candles("SOL-PERP", "1h", None) == []  # wall-clock ticks: old candles would not fit
    assert await (await make_venue()).candles("SOL-PERP", "1m", None) == []  # no feed, no history
    await venue.close()
