"""SupervisedStream: reconnects with capped, jittered backoff; reports status; stamps the venue; closes promptly."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest

from grace_desktop.venues.base import RateLimited, Tick, VenueError
from grace_desktop.venues.paper import PaperVenue
from grace_desktop.venues.price_stream import PriceSubscription
from grace_desktop.venues.supervisor import StreamStatus, SupervisedStream, error_text

END = object()  # in a script: the stream ends here (that is also what running out of items does)


class FakeTime:
    """A clock that only moves when the stream sleeps (or a script says so): no real waiting."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[], None] | None = None

    def clock(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds
        if self.on_sleep is not None:
            self.on_sleep()
        await asyncio.sleep(0)


class Scripted:
    """open_stream for tests: each call plays the next script (ticks, exceptions, clock moves), then ends."""

    def __init__(self, *scripts: Sequence[Any], clock: FakeTime | None = None) -> None:
        self.scripts = list(scripts)
        self.clock = clock
        self.finalised = 0  # streams whose generator ran its finally (closed, ended or raised)

    def __call__(self) -> AsyncIterator[Tick]:
        script = self.scripts.pop(0) if self.scripts else []
        return self._play(script)

    async def _play(self, script: Sequence[Any]) -> AsyncIterator[Tick]:
        try:
            for item in script:
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, (int, float)) and self.clock is not None:
                    self.clock.t += item  # a pause inside the stream: time passes between ticks
                    continue
                if item is END:
                    return
                yield item
        finally:
            self.finalised += 1


def tick(price: float, market: str = "BTC-PERP", venue: str = "") -> Tick:
    return Tick(market, price, price, venue)


def supervised(open_stream: Callable[[], AsyncIterator[Tick]], fake: FakeTime, **kwargs: Any
               ) -> tuple[SupervisedStream, list[StreamStatus]]:
    statuses: list[StreamStatus] = []
    kwargs.setdefault("rng", random.Random(7))
    stream = SupervisedStream("mango", open_stream, on_status=statuses.append, sleep=fake.sleep,
                              clock=fake.clock, **kwargs)
    return stream, statuses


def jittered(seed: int, nominal: Sequence[float], jitter: float = 0.25) -> list[float]:
    """The delays a seeded stream must wait: the nominal backoffs times the same random factors."""
    rng = random.Random(seed)
    return [d * rng.uniform(1 - jitter, 1 + jitter) for d in nominal]


async def read(stream: SupervisedStream, n: int) -> list[Tick]:
    return [await asyncio.wait_for(anext(stream), 5) for _ in range(n)]


async def test_a_stream_that_raises_midway_is_reopened_and_the_next_ticks_follow() -> None:
    fake = FakeTime()
    source = Scripted([tick(1), tick(2), VenueError("feed dropped")], [tick(3), tick(4)])
    stream, statuses = supervised(source, fake)
    assert [t.price for t in await read(stream, 4)] == [1, 2, 3, 4]
    [delay] = jittered(7, [0.5])
    assert fake.sleeps == [delay]
    assert statuses == [
        StreamStatus("mango", "connected", attempt=0),
        StreamStatus("mango", "reconnecting", "feed dropped", attempt=1, retry_in=delay),
        StreamStatus("mango", "connected", attempt=1),
    ]
    assert source.finalised == 1 and stream.opens == 2
    await stream.aclose()
    assert statuses[-1] == StreamStatus("mango", "closed") and source.finalised == 2
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_a_stream_that_ends_is_reopened_and_any_exception_is_reported_as_one_line() -> None:
    fake = FakeTime()
    source = Scripted([tick(1), END], [ConnectionResetError("peer\nreset")], [], [tick(2)])
    stream, statuses = supervised(source, fake, jitter=0.0)
    assert [t.price for t in await read(stream, 2)] == [1, 2]
    assert [(s.state, s.detail, s.attempt, s.retry_in) for s in statuses] == [
        ("connected", "", 0, None),
        ("reconnecting", "stream ended", 1, 0.5),
        ("reconnecting", "ConnectionResetError: peer reset", 2, 1.0),  # no traceback, no newline
        ("reconnecting", "stream ended", 3, 2.0),  # a stream that ends before its first tick
        ("connected", "", 3, None),
    ]
    assert fake.sleeps == [0.5, 1.0, 2.0]
    await stream.aclose()


async def test_a_failing_open_is_retried_like_a_failing_stream() -> None:
    fake = FakeTime()
    calls = 0

    def open_stream() -> AsyncIterator[Tick]:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise VenueError("venue unreachable")
        return Scripted([tick(9)])()

    stream, statuses = supervised(open_stream, fake, jitter=0.0)
    assert [t.price for t in await read(stream, 1)] == [9]
    assert [(s.state, s.detail) for s in statuses] == [
        ("reconnecting", "venue unreachable"), ("reconnecting", "venue unreachable"), ("connected", "")]
    assert fake.sleeps == [0.5, 1.0]
    await stream.aclose()


async def test_backoff_doubles_to_its_cap_and_jitter_stays_in_bounds() -> None:
    fake = FakeTime()
    stream, statuses = supervised(Scripted(), fake, backoff=(0.5, 30.0), jitter=0.25, rng=random.Random(42))
    fake.on_sleep = lambda: stream.close() if len(fake.sleeps) == 12 else None
    assert [t async for t in stream] == []  # every stream ends at once; closed from the 12th sleep
    nominal = [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30, 30, 30]
    assert fake.sleeps == pytest.approx(jittered(42, nominal))
    for waited, base in zip(fake.sleeps, nominal):
        assert 0.75 * base <= waited <= 1.25 * base
    assert len(set(fake.sleeps[6:])) == 6  # at the cap, the jitter still spreads reconnects apart
    assert [s.attempt for s in statuses if s.state == "reconnecting"] == list(range(1, 13))
    assert [s.retry_in for s in statuses if s.state == "reconnecting"] == fake.sleeps
    assert statuses[-1].state == "closed" and stream.opens == 12


async def test_without_jitter_the_delays_are_exact_and_retry_after_is_honoured() -> None:
    fake = FakeTime()
    source = Scripted([RateLimited("429 from venue", retry_after=12.0)], [VenueError("x", retry_after=0.1)], [tick(1)])
    stream, statuses = supervised(source, fake, backoff=(1.0, 8.0), jitter=0.0)
    await read(stream, 1)
    assert fake.sleeps == [12.0, 2.0]  # the venue's 429 wait beats the 1 s backoff; 0.1 s does not beat 2 s
    assert statuses[0].retry_in == 12.0 and statuses[0].detail == "429 from venue"
    await stream.aclose()


async def test_the_attempt_counter_resets_only_after_a_healthy_stretch() -> None:
    fake = FakeTime()
    drop = VenueError("dropped")
    source = Scripted(
        [tick(1), drop],  # a snapshot, then dropped: not healthy, the backoff keeps growing
        [tick(2), 3.0, drop],  # 3 s of service: still under healthy_after
        [tick(3), 10.0, tick(4), drop],  # 10 s of service: healthy, so the next retry is quick again
        [tick(5), drop],
        [tick(6)],
        clock=fake,
    )
    stream, statuses = supervised(source, fake, jitter=0.0, healthy_after=10.0)
    assert [t.price for t in await read(stream, 6)] == [1, 2, 3, 4, 5, 6]
    assert fake.sleeps == [0.5, 1.0, 0.5, 1.0]
    assert [s.attempt for s in statuses if s.state == "reconnecting"] == [1, 2, 1, 2]
    await stream.aclose()


async def test_a_snapshot_then_drop_loop_backs_off_to_the_cap() -> None:
    fake = FakeTime()
    stream, _ = supervised(Scripted(*([tick(1), END] for _ in range(20))), fake, jitter=0.0)
    await read(stream, 10)
    assert fake.sleeps == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


async def test_never_spins_hot_on_a_stream_that_always_ends_at_once() -> None:
    fake = FakeTime()
    horizon = fake.t + 600.0
    source = Scripted()

    def open_stream() -> AsyncIterator[Tick]:
        if stream.opens > 100:  # a hot loop fails the test instead of hanging it
            stream.close()
        return source()

    stream, statuses = supervised(open_stream, fake)
    fake.on_sleep = lambda: stream.close() if fake.t >= horizon else None
    assert [t async for t in stream] == []
    # Jitter floor (0.75 x nominal): 0.375 + 0.75 + 1.5 + 3 + 6 + 12 = 23.625 s for the first six
    # waits, then 22.5 s each: 6 + 25 waits end by 586.1 s and a 32nd ends past 600 s. Every open
    # but the first follows a wait, and the wait that crosses 600 s closes the stream: <= 32 opens.
    assert stream.opens == len(fake.sleeps) <= 32
    # Jitter ceiling (1.25 x): 39.375 s for six waits, then 37.5 s each: 600 s needs >= 21 waits.
    assert len(fake.sleeps) >= 21
    assert sum(fake.sleeps) >= 600.0 and statuses[-1].state == "closed"


async def test_ticks_without_a_venue_get_the_stream_s_venue_and_others_keep_theirs() -> None:
    fake = FakeTime()
    stream, _ = supervised(Scripted([tick(1), tick(2, venue="binance-feed")]), fake)
    got = await read(stream, 2)
    assert got == [Tick("BTC-PERP", 1, 1, "mango"), Tick("BTC-PERP", 2, 2, "binance-feed")]
    await stream.aclose()


async def test_close_while_waiting_to_reconnect_returns_promptly() -> None:
    statuses: list[StreamStatus] = []
    source = Scripted([VenueError("down")])
    stream = SupervisedStream("mango", source, on_status=statuses.append, backoff=(60.0, 60.0))
    reader = asyncio.ensure_future(anext(stream))
    while not statuses:
        await asyncio.sleep(0.001)
    assert statuses[0].state == "reconnecting" and statuses[0].retry_in >= 45.0
    stream.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(reader, 2)  # ended by the close, not after the 60 s backoff
    assert statuses[-1] == StreamStatus("mango", "closed") and stream.closed
    assert not reader.cancelled() and reader.cancelling() == 0  # close's own cancel was taken back


async def test_close_while_waiting_for_a_tick_ends_the_reader_and_closes_the_inner_stream() -> None:
    finalised = asyncio.Event()

    async def quiet() -> AsyncIterator[Tick]:
        try:
            yield tick(1)
            await asyncio.Event().wait()  # a market nobody trades
            yield tick(2)
        finally:
            finalised.set()

    statuses: list[StreamStatus] = []
    stream = SupervisedStream("mango", quiet, on_status=statuses.append)

    async def consume() -> list[Tick]:
        return [t async for t in stream]

    reader = asyncio.ensure_future(consume())
    while not statuses:
        await asyncio.sleep(0.001)
    await stream.aclose()
    assert await asyncio.wait_for(reader, 2) == [tick(1, venue="mango")]
    assert finalised.is_set() and not reader.cancelled()
    assert [s.state for s in statuses] == ["connected", "closed"]


async def test_cancelling_the_reader_ends_the_stream_and_propagates() -> None:
    source = Scripted([VenueError("down")])
    statuses: list[StreamStatus] = []
    stream = SupervisedStream("mango", source, on_status=statuses.append, backoff=(60.0, 60.0))

    async def consume() -> None:
        async for _ in stream:
            pass

    reader = asyncio.ensure_future(consume())
    while not statuses:
        await asyncio.sleep(0.001)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert stream.closed and statuses[-1].state == "closed"
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_close_from_the_status_listener_ends_without_leaving_a_cancel_behind() -> None:
    stream: SupervisedStream

    def on_status(status: StreamStatus) -> None:
        if status.state == "reconnecting":
            stream.close()

    stream = SupervisedStream("mango", Scripted([tick(1), VenueError("down")]), on_status=on_status)
    assert [t.price async for t in stream] == [1]
    await asyncio.sleep(0)  # a cancel requested on our own task would surface here
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
    assert stream.status == StreamStatus("mango", "closed")


async def test_a_broken_status_listener_does_not_stop_the_prices() -> None:
    def on_status(status: StreamStatus) -> None:
        raise RuntimeError("ui gone")

    fake = FakeTime()
    stream = SupervisedStream("mango", Scripted([tick(1), VenueError("x")], [tick(2)]), on_status=on_status,
                              sleep=fake.sleep, clock=fake.clock)
    assert [t.price for t in await read(stream, 2)] == [1, 2]
    await stream.aclose()


async def test_real_timing_with_small_backoffs() -> None:
    statuses: list[StreamStatus] = []
    source = Scripted([tick(1), OSError("reset by peer")], [], [], [tick(2), tick(3)])
    stream = SupervisedStream("mango", source, on_status=statuses.append, backoff=(0.02, 0.05), jitter=0.25)
    started = time.monotonic()
    assert [t.price for t in await read(stream, 3)] == [1, 2, 3]
    waited = time.monotonic() - started
    # Three waits of 0.02, 0.04 and 0.05 (capped), each x [0.75, 1.25]: at least 0.0825 s.
    assert waited >= 0.08
    assert [s.attempt for s in statuses if s.state == "reconnecting"] == [1, 2, 3]
    await stream.aclose()

    # A stream that ends at once, for 0.3 s of real time: the backoff, not the CPU, sets the pace.
    idle = SupervisedStream("mango", Scripted(), on_status=lambda s: None, backoff=(0.01, 0.05))
    reader = asyncio.ensure_future(anext(idle))
    started = time.monotonic()
    await asyncio.sleep(0.3)
    while idle.opens < 2 and time.monotonic() - started < 5:  # a paused process opens later, not faster
        await asyncio.sleep(0.01)
    idle.close()
    elapsed = time.monotonic() - started
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(reader, 1)
    # Floors 0.0075, 0.015, 0.03, then 0.0375 each: at most 10 opens fit in 0.3 s.
    assert 2 <= idle.opens <= 4 + (elapsed - 0.0525) / 0.0375


async def test_a_paper_venue_subscription_closed_under_it_is_replaced(venue: PaperVenue) -> None:
    statuses: list[StreamStatus] = []
    stream = SupervisedStream("paper", lambda: venue.subscribe_prices(["BTC-PERP"]), on_status=statuses.append,
                              backoff=(0.01, 0.05))
    reader = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    await venue.push_tick("BTC-PERP", 60_000.0, ts=1.0)
    first = await asyncio.wait_for(reader, 2)
    assert (first.venue, first.price) == ("paper", 60_000.0)
    [subscription] = venue._subscriptions
    subscription.close()  # the feed drops it
    reader = asyncio.ensure_future(anext(stream))
    while len(venue._subscriptions) != 1 or venue._subscriptions[0] is subscription:
        await asyncio.sleep(0.005)
    await venue.push_tick("BTC-PERP", 60_100.0, ts=2.0)
    assert (await asyncio.wait_for(reader, 2)).price == 60_100.0
    assert [s.state for s in statuses] == ["connected", "reconnecting", "connected"]
    await stream.aclose()
    assert venue._subscriptions == []


async def test_ticks_already_buffered_are_handed_over_in_order_with_the_venue_stamped() -> None:
    # After the first tick the stream takes buffered ticks straight from the subscription (no wait to
    # cancel): the same ticks, in order, stamped the same way, and a close still ends the reading.
    subscription = PriceSubscription(None)
    statuses: list[StreamStatus] = []
    stream = SupervisedStream("paper", lambda: subscription, on_status=statuses.append)
    subscription.push(Tick("BTC-PERP", 1.0, 1.0))
    assert await anext(stream) == Tick("BTC-PERP", 1.0, 1.0, "paper")
    for i, venue in ((2, ""), (3, "other"), (4, "")):
        subscription.push(Tick("ETH-PERP", float(i), float(i), venue))
    got = [await anext(stream) for _ in range(3)]
    assert got == [Tick("ETH-PERP", 2.0, 2.0, "paper"), Tick("ETH-PERP", 3.0, 3.0, "other"),
                   Tick("ETH-PERP", 4.0, 4.0, "paper")]
    assert len(subscription) == 0 and [s.state for s in statuses] == ["connected"]
    subscription.push(Tick("BTC-PERP", 5.0, 5.0))
    stream.close()
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    assert statuses[-1].state == "closed" and subscription.closed


def test_error_text_is_one_bounded_line() -> None:
    assert error_text(None) == "stream ended"
    assert error_text(VenueError("rate limited")) == "rate limited"
    assert error_text(TimeoutError()) == "TimeoutError"
    long = error_text(ValueError("x" * 500))
    assert len(long) == 200 and long.startswith("ValueError: x") and long.endswith("…")


@pytest.mark.parametrize("kwargs", [{"backoff": (0.0, 1.0)}, {"backoff": (2.0, 1.0)}, {"jitter": 1.0},
                                    {"jitter": -0.1}, {"healthy_after": -1.0}])
def test_bad_settings_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SupervisedStream("mango", Scripted(), on_status=lambda s: None, **kwargs)
