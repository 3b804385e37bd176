"""LiveFeed: the paper venue's prices from a live public market (Hyperliquid's `/info` mids), polled.

One `allMids` request a poll (weight 2; once a second spends 120 of the ~1200 a minute the
API allows an IP) gives every coin's mid; each of our markets is quoted from its coin
(`COINS`, the one place the names are mapped). Every poll emits a tick per quoted market even
if the price did not move: a quote that still stands keeps the market fresh for the
staleness watch, whereas a silent feed goes stale and says so.

Iterating a LiveFeed gives a `SupervisedStream`: a failed poll (refused, timed out, dropped,
429, unparsable) ends the inner stream and it is re-opened with capped, jittered backoff, at
least the 429's Retry-After. `candles(market, timeframe, since)` back-fills a chart from
`candleSnapshot`, within the same weight budget.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass

from grace_desktop.venues.base import Tick, VenueError
from grace_desktop.venues.feeds.candles import Candle
from grace_desktop.venues.feeds.hyperliquid import DEFAULT_URL, HyperliquidInfo, parse_price
from grace_desktop.venues.feeds.simulated import round_to_tick
from grace_desktop.venues.paper.markets import DEFAULT_MARKETS
from grace_desktop.venues.supervisor import StreamStatus, SupervisedStream

SOURCE = "hyperliquid"


@dataclass(frozen=True, slots=True)
class Coin:
    """Where a market's live price comes from: `name` in the API, times `scale` (kBONK is 1000 BONK)."""

    name: str
    scale: float = 1.0


# Our market -> Hyperliquid coin. Spot legs are quoted from the coin's perp mid: a live
# reference for paper trading, not the spot venue's own price.
COINS: dict[str, Coin] = {
    "BTC-PERP": Coin("BTC"),
    "ETH-PERP": Coin("ETH"),
    "SOL-PERP": Coin("SOL"),
    "SOL/USDC": Coin("SOL"),
    "JUP/USDC": Coin("JUP"),
    "BONK/USDC": Coin("kBONK", 0.001),
}

# Chart timeframes -> candleSnapshot intervals (the API names them the same way).
TIMEFRAMES: dict[str, float] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14_400, "1d": 86_400}


class LiveFeed:
    """Async iterable of Ticks polled from the live source; `aclose()` releases its HTTP client."""

    def __init__(
        self,
        url: str | None = None,
        *,
        markets: Iterable[str] | None = None,
        poll_interval: float = 1.0,
        coins: Mapping[str, Coin] | None = None,
        client: HyperliquidInfo | None = None,
        on_status: Callable[[StreamStatus], None] | None = None,
        backoff: tuple[float, float] = (1.0, 60.0),
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (math.isfinite(poll_interval) and poll_interval > 0):
            raise ValueError(f"poll_interval: must be a positive number of seconds, got {poll_interval!r}")
        self.url = url or DEFAULT_URL
        mapping = dict(COINS if coins is None else coins)
        wanted = list(mapping) if markets is None else list(markets)
        self.coins = {m: mapping[m] for m in wanted if m in mapping}
        self.unquoted = sorted(set(wanted) - set(self.coins))  # markets this source has no price for
        self.tick_sizes = {m: DEFAULT_MARKETS[m].tick_size for m in self.coins if m in DEFAULT_MARKETS}
        self.poll_interval = poll_interval
        self.client = client or HyperliquidInfo(self.url)
        self.on_status = on_status
        self.backoff = backoff
        self.clock = clock
        self.stream: SupervisedStream | None = None
        self.polls = 0

    def __aiter__(self) -> SupervisedStream:
        self.stream = SupervisedStream(SOURCE, self.poll, on_status=self._status, backoff=self.backoff)
        return self.stream

    def _status(self, status: StreamStatus) -> None:
        if self.on_status is not None:
            self.on_status(status)

    async def poll(self) -> AsyncIterator[Tick]:
        """One stream: poll until a request fails (the supervisor re-opens it)."""
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            mids = await self.client.all_mids()
            self.polls += 1
            ts = self.clock()
            ticks = self.quote(mids, ts)
            if not ticks:
                raise VenueError(f"live prices: the source quotes none of {', '.join(sorted(self.coins))}")
            for tick in ticks:
                yield tick
            next_at += self.poll_interval  # deadline pacing: a slow answer shortens the next wait, no drift
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at = max(next_at, loop.time() - self.poll_interval)

    def quote(self, mids: Mapping[str, object], ts: float) -> list[Tick]:
        """Our markets' ticks from an allMids answer; a coin the answer lacks is skipped (it goes stale)."""
        ticks = []
        for market, coin in self.coins.items():
            text = mids.get(coin.name)
            if text is None:
                continue
            price = parse_price(coin.name, text) * coin.scale
            tick = self.tick_sizes.get(market)
            ticks.append(Tick(market, round_to_tick(price, tick) if tick else price, ts))
        return ticks

    async def candles(self, market: str, timeframe: str, since: float, until: float | None = None) -> list[Candle]:
        """Candles of `market` opened in [since, until] (unix seconds; until: now), oldest first.

        The API returns a bounded number of the most recent candles, so a long range may start
        later than `since`. Raises VenueError (e.g. RateLimited) when the source cannot answer.
        """
        coin = self.coins.get(market)
        if coin is None:
            raise VenueError(f"live prices: no live source for {market}")
        if timeframe not in TIMEFRAMES:
            raise ValueError(f"timeframe: one of {', '.join(TIMEFRAMES)}, got {timeframe!r}")
        end = self.clock() if until is None else until
        rows = await self.client.candle_snapshot(coin.name, timeframe, int(since * 1000), int(end * 1000))
        out = [_candle(market, coin, row) for row in rows]
        out.sort(key=lambda c: c.ts)
        return [c for c in out if since <= c.ts <= end]

    async def aclose(self) -> None:
        if self.stream is not None:
            await self.stream.aclose()
        await self.client.aclose()


def _candle(market: str, coin: Coin, row: object) -> Candle:
    if not isinstance(row, dict):
        raise VenueError(f"live prices: a {coin.name} candle is a {type(row).__name__}, expected an object")
    try:
        opened = float(row["t"]) / 1000.0
        o, h, low, c = (parse_price(coin.name, row[k]) * coin.scale for k in ("o", "h", "l", "c"))
        volume = float(row["v"]) / coin.scale  # base units: 1 kBONK is 1000 BONK
    except (KeyError, TypeError, ValueError):
        raise VenueError(f"live prices: a {coin.name} candle lacks t/o/h/l/c/v: {str(row)[:120]}") from None
    if not (math.isfinite(volume) and volume >= 0 and math.isfinite(opened)):
        raise VenueError(f"live prices: a {coin.name} candle has a bad time or volume: {str(row)[:120]}")
    return Candle(opened, market, o, max(h, o, c, low), min(low, o, c, h), c, volume)
