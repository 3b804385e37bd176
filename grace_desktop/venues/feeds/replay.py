"""ReplayFeed: replays candle CSV files (resources/candles/ by default) as open/extreme/
extreme/close ticks, paced by `speed`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from heapq import merge
from pathlib import Path

from grace_desktop.domain.candles import Bar, resample, timeframe_seconds
from grace_desktop.venues.base import Tick
from grace_desktop.venues.feeds.candles import candle_files, read_candles
from grace_desktop.venues.feeds.simulated import round_to_tick
from grace_desktop.venues.paper.markets import DEFAULT_FOLLOWERS, DEFAULT_MARKETS


class ReplayFeed:
    """Replays candle files as ticks: open, the first extreme, the other extreme, close.

    `speed` is market seconds per wall second (60: a 1-minute candle per second; 0: no
    waiting). With `retime` (default) ticks carry the wall-clock time they are emitted at,
    so orders, fills and funding line up with the app's clock, and the candle time in
    `market_ts`; otherwise the candle times in `ts`.
    `followers` also emit each leader tick under the follower's name (SOL/USDC after
    SOL-PERP by default). `repeat` loops, rescaling each pass to continue from the last price.
    """

    def __init__(
        self,
        path: Path | str | Iterable[Path | str] | None = None,
        *,
        speed: float = 60.0,
        markets: Iterable[str] | None = None,
        interval_s: float = 60.0,
        retime: bool = True,
        repeat: bool = False,
        followers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (speed >= 0 and math.isfinite(speed)):
            raise ValueError(f"speed: must be a number >= 0, got {speed!r}")
        if not interval_s > 0:
            raise ValueError(f"interval_s: must be > 0, got {interval_s!r}")
        self.files = candle_files(path)
        self.speed = speed
        self.markets = None if markets is None else frozenset(markets)
        self.interval_s = interval_s
        self.retime = retime
        self.repeat = repeat
        self.followers = dict(DEFAULT_FOLLOWERS if followers is None else followers)
        self.clock = clock
        self.replayed_until: float | None = None  # market time of the last tick sent (retime off)

    def ticks(self) -> Iterator[Tick]:
        """One pass over the files in time order, with the candles' own timestamps (no pacing)."""
        wanted = self.markets
        streams = [self._file_ticks(p) for p in self.files]
        for tick in merge(*streams, key=lambda t: t.ts):
            if wanted is None or tick.market in wanted:
                yield tick
            for follower, leader in self.followers.items():
                if tick.market == leader and (wanted is None or follower in wanted):
                    yield Tick(follower, tick.price, tick.ts)

    def _file_ticks(self, path: Path) -> Iterator[Tick]:
        wanted = self.markets
        leaders = set(self.followers.values())
        for candle in read_candles(path):
            if wanted is None or candle.market in wanted or candle.market in leaders:
                yield from candle.ticks(self.interval_s)

    def passes(self) -> Iterator[Tick]:
        """Every pass (one, or forever with `repeat`), later passes rescaled to start at the last price."""
        scale: dict[str, float] = {}
        while True:
            first: dict[str, float] = {}
            last: dict[str, float] = {}
            for tick in self.ticks():
                first.setdefault(tick.market, tick.price)
                price = tick.price
                if tick.market in scale:
                    spec = DEFAULT_MARKETS.get(tick.market)
                    price = price * scale[tick.market]
                    price = round_to_tick(price, spec.tick_size) if spec else price
                last[tick.market] = price
                yield Tick(tick.market, price, tick.ts)
            if not self.repeat or not last:
                return
            scale = {m: last[m] / first[m] for m in last}

    async def candles(self, market: str, timeframe: str, since: float | None = None) -> list[tuple[float, ...]]:
        """The files' candles of `market` already replayed, resampled to `timeframe` — only when
        ticks keep the files' own times (retime off; retimed ticks live on the wall clock and old
        candles would not fit). Never a candle from ahead of the replay: that would be the future."""
        if self.retime or self.replayed_until is None:
            return []
        seconds = timeframe_seconds(timeframe)
        until = self.replayed_until - self.interval_s  # whole candles only; the live chart builds the rest

        def load() -> list[tuple[float, ...]]:
            bars = (Bar(c.ts, c.open, c.high, c.low, c.close, c.volume) for p in self.files for c in read_candles(p)
                    if c.market == market and (since is None or c.ts >= since) and c.ts <= until)
            return [b.as_tuple() for b in resample(sorted(bars, key=lambda b: b.ts), seconds)]

        return await asyncio.to_thread(load)

    def __aiter__(self) -> AsyncIterator[Tick]:
        return self._run()

    async def _run(self) -> AsyncIterator[Tick]:
        loop = asyncio.get_running_loop()
        wall0 = loop.time()
        market0: float | None = None
        offset = 0.0  # market time already replayed by earlier passes
        previous: float | None = None
        for tick in self.passes():
            if previous is not None and tick.ts < previous:
                offset += previous - tick.ts + self.interval_s / 4
            previous = tick.ts
            if market0 is None:
                market0 = tick.ts
            elapsed = tick.ts + offset - market0
            if self.speed > 0:
                await asyncio.sleep(max(0.0, wall0 + elapsed / self.speed - loop.time()))
            else:
                await asyncio.sleep(0)
            if not self.retime:
                self.replayed_until = tick.ts
            # Retimed ticks keep the candles' clock too: volatility is measured in market time,
            # whatever the playback speed (at 60x, wall-clock returns looked √60 ≈ 7.7x too wild).
            yield Tick(tick.market, tick.price, self.clock(), market_ts=tick.ts + offset) if self.retime else tick
