"""Prices of the configured tokens from Jupiter Price v3, polled inside its rate limit.

One call per poll asks for every base mint and the quote mint (≤ 50 ids); a market's price is
base usdPrice / quote usdPrice. A tick goes out when a market's price changes (and at least every
`refresh` seconds), so the monitor's TP/SL and trailing stops see spot holdings like any other.
A token Jupiter cannot price is simply absent from the answer: no tick, no error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

from grace_desktop.venues.base import Tick, VenueError
from grace_desktop.venues.spot.http import JsonApi
from grace_desktop.venues.spot.tokens import Token

log = logging.getLogger(__name__)


class JupiterPrices:
    def __init__(self, api: JsonApi, quote: Token, bases: Mapping[str, Token], *, venue: str,
                 publish: Callable[[Tick], None], interval: float = 10.0, refresh: float = 30.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.api = api
        self.quote = quote
        self.bases = dict(bases)
        self.venue = venue
        self.publish = publish
        self.interval = interval
        self.refresh = refresh
        self._clock = clock
        self.last: dict[str, float] = {}
        self.last_ticks: dict[str, Tick] = {}  # what a subscriber that comes later starts from
        self._sent_at: dict[str, float] = {}
        self.usd: dict[str, float] = {}  # usdPrice by mint (the SOL price values network fees)
        self.error = ""
        self.failures = 0
        self._stopped = False

    def stop(self) -> None:
        """No further polls (the venue closes); the running sleep is cancelled by the venue."""
        self._stopped = True

    async def poll_once(self) -> list[Tick]:
        mints = sorted({t.mint for t in self.bases.values()} | {self.quote.mint})
        status, body = await self.api.call("GET", "/price/v3", params={"ids": ",".join(mints)})
        if status >= 400 or not isinstance(body, dict):
            raise VenueError(f"Jupiter price: HTTP {status}")
        for mint, entry in body.items():
            try:
                self.usd[mint] = float(entry["usdPrice"])
            except (KeyError, TypeError, ValueError):
                continue
        quote_usd = self.usd.get(self.quote.mint)
        ticks = []
        now = self._clock()
        for market, token in self.bases.items():
            base_usd = self.usd.get(token.mint)
            if base_usd is None or not quote_usd or base_usd <= 0:
                continue
            price = base_usd / quote_usd
            if price != self.last.get(market) or now - self._sent_at.get(market, 0.0) >= self.refresh:
                self.last[market] = price
                self._sent_at[market] = now
                tick = Tick(market, price, now, self.venue)
                self.last_ticks[market] = tick
                ticks.append(tick)
        return ticks

    async def run(self) -> None:
        while not self._stopped:
            try:
                for tick in await self.poll_once():
                    self.publish(tick)
                self.failures, self.error = 0, ""
                delay = self.interval
            except VenueError as exc:
                self.failures += 1
                self.error = str(exc)
                delay = max(self.interval, exc.retry_after or 0.0)
                log.warning("spot prices: %s", exc)
            await asyncio.sleep(delay)
