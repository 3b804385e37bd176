"""The live price feed against a loopback stand-in of Hyperliquid's /info (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from grace_desktop.venues.base import NotSent, RateLimited, VenueError
from grace_desktop.venues.feeds import FallbackFeed, LiveFeed, SimulatedFeed, make_feed
from grace_desktop.venues.feeds.hyperliquid import HyperliquidInfo, WeightBudget
from grace_desktop.venues.supervisor import StreamStatus
from tests.venues.hyperliquid_standin import HyperliquidStandIn


@pytest.fixture
async def standin() -> AsyncIterator[HyperliquidStandIn]:
    server = await HyperliquidStandIn().start()
    yield server
    await server.stop()


def closed_port_url() -> str:
    """A loopback URL nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/info"


async def take(feed: LiveFeed | FallbackFeed, n: int, timeout: float = 10.0) -> list:
    out = []
    async with asyncio.timeout(timeout):
        async for tick in feed:
            out.append(tick)
            if len(out) >= n:
                break
    return out


async def test_polls_all_mids_and_maps_coins_to_markets(standin: HyperliquidStandIn) -> None:
    feed = LiveFeed(standin.url, poll_interval=0.05)
    try:
        ticks = await take(feed, 12)
    finally:
        await feed.aclose()
    first = {t.market: t.price for t in ticks[:6]}
    assert first == {"BTC-PERP": 67012.5, "ETH-PERP": 3490.2, "SOL-PERP": 148.93, "SOL/USDC": 148.93,
                     "JUP/USDC": 0.9512, "BONK/USDC": 2.4871e-05}  # ETH on the 0.1 tick; kBONK / 1000
    assert {t.venue for t in ticks} == {"hyperliquid"}  # the supervisor stamps the source
    assert standin.count("allMids") == 2 and standin.requests[0] == {"type": "allMids"}
    assert feed.unquoted == []


async def test_only_the_markets_asked_for_and_unknown_ones_reported(standin: HyperliquidStandIn) -> None:
    feed = LiveFeed(standin.url, markets=["BTC-PERP", "XYZ-PERP"], poll_interval=0.05)
    try:
        ticks = await take(feed, 3)
    finally:
        await feed.aclose()
    assert {t.market for t in ticks} == {"BTC-PERP"}
    assert feed.unquoted == ["XYZ-PERP"]


async def test_429_waits_at_least_retry_after_before_asking_again(standin: HyperliquidStandIn) -> None:
    standin.retry_after = "0.6"
    statuses: list[StreamStatus] = []
    feed = LiveFeed(standin.url, poll_interval=0.02, backoff=(0.05, 1.0), on_status=statuses.append)
    standin.fail_next("429")
    started = time.monotonic()
    try:
        ticks = await take(feed, 6)
    finally:
        await feed.aclose()
    elapsed = time.monotonic() - started
    assert len(ticks) == 6 and ticks[0].market == "BTC-PERP"
    waits = [s for s in statuses if s.state == "reconnecting"]
    assert len(waits) == 1 and "rate limited" in waits[0].detail
    assert waits[0].retry_in is not None and waits[0].retry_in >= 0.6  # Retry-After beats the 0.05 s backoff
    assert elapsed >= 0.6
    assert [s.state for s in statuses] == ["reconnecting", "connected", "closed"]


async def test_dropped_connection_is_retried_and_prices_resume(standin: HyperliquidStandIn) -> None:
    statuses: list[StreamStatus] = []
    feed = LiveFeed(standin.url, poll_interval=0.02, backoff=(0.05, 0.2), on_status=statuses.append)
    try:
        await take(feed, 6)  # one healthy poll first, on a kept-alive connection
        standin.fail_next("drop", "garbage", "500")
        more = await take(feed, 6)
    finally:
        await feed.aclose()
    assert {t.market for t in more} >= {"BTC-PERP", "ETH-PERP"}
    details = [s.detail for s in statuses if s.state == "reconnecting"]
    assert len(details) == 3
    assert "connection" in details[0]  # the dropped reply
    assert "not JSON" in details[1] and "HTTP 500" in details[2]
    assert standin.connections >= 2  # the dropped connection was replaced


async def test_candles_back_fill_in_order_within_the_range(standin: HyperliquidStandIn) -> None:
    now = 1_700_000_000.0
    feed = LiveFeed(standin.url, clock=lambda: now)
    try:
        candles = await feed.candles("BTC-PERP", "1h", now - 6 * 3600)
        bonk = await feed.candles("BONK/USDC", "1d", now - 3 * 86_400)
    finally:
        await feed.aclose()
    assert [c.ts for c in candles] == sorted(c.ts for c in candles) and len(candles) == 6
    assert all(now - 6 * 3600 <= c.ts <= now and c.ts % 3600 == 0 for c in candles)
    assert all(c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in candles)
    assert candles[0].market == "BTC-PERP" and 60_000 < candles[0].close < 70_000
    request = standin.requests[0]
    assert request == {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1h",
                                                        "startTime": int((now - 6 * 3600) * 1000),
                                                        "endTime": int(now * 1000)}}
    assert bonk and bonk[0].close < 0.001 and bonk[0].volume > 1000  # kBONK scaled to BONK, volume too
    assert feed.client.budget.spent == 40


async def test_candles_refused_with_reasons(standin: HyperliquidStandIn) -> None:
    feed = LiveFeed(standin.url)
    try:
        standin.fail_next("429")
        with pytest.raises(RateLimited) as caught:
            await feed.candles("ETH-PERP", "5m", time.time() - 3600)
        assert caught.value.retry_after == 1.0
        with pytest.raises(VenueError, match="no live source"):
            await feed.candles("XYZ-PERP", "5m", 0)
        with pytest.raises(ValueError, match="timeframe"):
            await feed.candles("ETH-PERP", "7m", 0)
    finally:
        await feed.aclose()


async def test_unreachable_source_is_not_sent() -> None:
    client = HyperliquidInfo(closed_port_url(), timeout=1.0)
    try:
        with pytest.raises(NotSent, match="cannot reach"):
            await client.all_mids()
    finally:
        await client.aclose()


async def test_a_hung_source_times_out(standin: HyperliquidStandIn) -> None:
    client = HyperliquidInfo(standin.url, timeout=0.2)
    standin.fail_next("hang")
    try:
        with pytest.raises(VenueError, match="no answer"):
            await client.all_mids()
    finally:
        await client.aclose()


async def test_weight_budget_paces_and_pauses() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    budget = WeightBudget(60, clock=lambda: now[0], sleep=sleep)  # one unit a second
    for _ in range(30):
        await budget.acquire(2)
    assert slept == [] and budget.spent == 60  # a full minute's worth banked
    await budget.acquire(2)
    assert slept == [pytest.approx(2.0)]
    budget.pause(10)
    await budget.acquire(2)
    assert sum(slept) == pytest.approx(12.0)
    with pytest.raises(ValueError):
        WeightBudget(0)


async def test_fallback_to_simulated_when_live_is_unreachable() -> None:
    notices = []
    live = LiveFeed(closed_port_url(), backoff=(0.05, 0.1))
    feed = FallbackFeed(live, lambda: SimulatedFeed(seed=1, tick_rate_hz=50), on_notice=notices.append,
                        startup_attempts=2)
    ticks = await take(feed, 8)
    assert feed.source == "simulated"
    assert {t.market for t in ticks} >= {"BTC-PERP", "ETH-PERP"}
    assert [n.kind for n in notices] == ["fallback"]
    assert "simulated prices" in notices[0].text and "cannot reach" in notices[0].text
    assert await feed.candles("BTC-PERP", "1m", 0) == []


async def test_fallback_when_live_never_answers_in_time(standin: HyperliquidStandIn) -> None:
    standin.fail_next("hang")
    live = LiveFeed(standin.url, client=HyperliquidInfo(standin.url, timeout=30))
    feed = FallbackFeed(live, lambda: SimulatedFeed(seed=1, tick_rate_hz=50), startup_deadline=0.3)
    ticks = await take(feed, 3)
    assert feed.source == "simulated" and len(ticks) == 3
    assert "within 0.3 s" in feed.notices[0].text


async def test_live_outage_after_start_is_reported_not_faked(standin: HyperliquidStandIn) -> None:
    live = LiveFeed(standin.url, poll_interval=0.02, backoff=(0.05, 0.2))
    feed = FallbackFeed(live, lambda: SimulatedFeed(seed=1))
    try:
        iterator = aiter(feed)
        first = await anext(iterator)
        standin.fail_next("drop")
        async with asyncio.timeout(5):
            while feed.notices[-1].kind != "restored":
                await anext(iterator)
        assert feed.source == "live" and first.market == "BTC-PERP"
        assert [n.kind for n in feed.notices] == ["live", "interrupted", "restored"]
    finally:
        await iterator.aclose()  # type: ignore[attr-defined]


async def test_make_feed_kinds() -> None:
    assert isinstance(make_feed("simulated", seed=3), SimulatedFeed)
    live = make_feed("live", "http://127.0.0.1:9/info")
    assert isinstance(live, FallbackFeed) and live.live.url == "http://127.0.0.1:9/info"
    await live.live.aclose()
    default = make_feed("live")
    assert isinstance(default, FallbackFeed) and default.live.url == "https://api.hyperliquid.xyz/info"
    await default.live.aclose()
    with pytest.raises(ValueError, match="simulated, replay, live"):
        make_feed("carrier-pigeon")
