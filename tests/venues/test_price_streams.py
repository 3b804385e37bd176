"""Price fan-out: bounded per-subscriber buffers, tick listeners, feed consumption and shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from grace_desktop.venues.base import Tick, VenueError
from grace_desktop.venues.feeds import SimulatedFeed
from grace_desktop.venues.paper import PaperVenue
from grace_desktop.venues.price_stream import PriceSubscription
from tests.venues.helpers import place


def test_full_buffer_drops_the_oldest_tick_of_the_same_market() -> None:
    sub = PriceSubscription(None, maxsize=3)
    for tick in (Tick("BTC", 1, 1), Tick("ETH", 10, 1), Tick("BTC", 2, 2)):
        sub.push(tick)
    sub.push(Tick("ETH", 11, 2))  # full: ETH@10 goes, BTC@1 stays
    assert [(t.market, t.price) for t in sub._buffer] == [("BTC", 1), ("BTC", 2), ("ETH", 11)]
    sub.push(Tick("SOL", 5, 3))  # no SOL buffered: the oldest tick overall goes
    assert [(t.market, t.price) for t in sub._buffer] == [("BTC", 2), ("ETH", 11), ("SOL", 5)]
    assert sub.dropped == 2


async def test_subscribers_get_their_markets_and_a_slow_one_never_blocks(venue: PaperVenue) -> None:
    btc = venue.subscribe_prices(["BTC-PERP"], maxsize=4)
    everything = venue.subscribe_prices()
    for i in range(10):
        await venue.push_tick("BTC-PERP", 60_000.0 + i)
        await venue.push_tick("ETH-PERP", 3_000.0 + i)
    assert len(btc) == 4 and btc.dropped == 6  # nobody read: the producer went on regardless
    got = [await anext(btc) for _ in range(4)]
    assert [t.price for t in got] == [60_006.0, 60_007.0, 60_008.0, 60_009.0]  # the freshest survive
    assert {t.market for t in everything._buffer} == {"BTC-PERP", "ETH-PERP"}

    waiting = asyncio.ensure_future(anext(btc))
    await asyncio.sleep(0)
    assert not waiting.done()
    await venue.push_tick("BTC-PERP", 61_000.0)
    assert (await asyncio.wait_for(waiting, 1)).price == 61_000.0

    btc.close()
    await venue.push_tick("BTC-PERP", 62_000.0)
    with pytest.raises(StopAsyncIteration):
        await anext(btc)
    assert btc not in venue._subscriptions


async def test_tick_listener_runs_after_the_tick_is_applied(venue: PaperVenue) -> None:
    seen: list[tuple[Tick, float | None]] = []
    remove = venue.add_tick_listener(lambda tick: seen.append((tick, venue.last_price(tick.market))))
    venue.add_tick_listener(lambda tick: 1 / 0)  # a broken listener is logged, never stops the others
    await venue.push_tick("SOL-PERP", 150.0, ts=5.0)
    assert seen == [(Tick("SOL-PERP", 150.0, 5.0, "paper"), 150.0)]
    remove()
    await venue.push_tick("SOL-PERP", 151.0, ts=6.0)
    assert len(seen) == 1


async def test_started_venue_consumes_its_feed_and_close_ends_everything(make_venue: Callable[..., Any]) -> None:
    feed = SimulatedFeed({"BTC-PERP": 60_000.0, "SOL-PERP": 150.0}, seed=7, tick_rate_hz=200.0)
    venue = await make_venue(feed=feed)
    sub = venue.subscribe_prices(["SOL-PERP"])
    ticks = [await asyncio.wait_for(anext(sub), 2) for _ in range(5)]
    assert all(t.market == "SOL-PERP" for t in ticks) and venue.last_price("BTC-PERP") is not None
    assert (await venue.health()).detail == "paper venue; price feed running"
    await venue.close()
    rest = [t async for t in sub]  # ends instead of hanging
    assert len(rest) <= sub.maxsize
    assert not (await venue.health()).ok
    assert venue.subscribe_prices().closed


async def test_run_feed_to_the_end_and_health_says_so(make_venue: Callable[..., Any]) -> None:
    feed = SimulatedFeed({"ETH-PERP": 3_000.0}, seed=1, realtime=False, max_ticks=50, start_ts=1_000.0)
    venue = await make_venue(feed=feed)
    await venue._feed_task  # type: ignore[misc]
    assert venue.last_price("ETH-PERP") == feed.take(50, start_ts=1_000.0)[-1].price
    assert "ended" in (await venue.health()).detail


async def test_a_failing_feed_is_reported_by_health(make_venue: Callable[..., Any]) -> None:
    async def broken() -> Any:
        yield Tick("BTC-PERP", 60_000.0, 1.0)
        raise ConnectionError("price source went away")

    class Feed:
        def __aiter__(self) -> Any:
            return broken()

    venue = await make_venue(feed=Feed())
    await venue._feed_task  # type: ignore[misc]
    health = await venue.health()
    assert not health.ok and "price source went away" in health.detail
    assert venue.last_price("BTC-PERP") == 60_000.0


async def test_a_closed_venue_refuses_work(make_venue: Callable[..., Any]) -> None:
    venue = await make_venue()
    await venue.close()
    await venue.close()  # idempotent
    with pytest.raises(VenueError, match="closed"):
        await place(venue, "BTC-PERP", "buy", 0.01)
    with pytest.raises(VenueError, match="closed"):
        await venue.push_tick("BTC-PERP", 60_000.0)
