"""What the chart reads from a mango-v3-service besides trading: the order book and candles.

The service's orderbook endpoint takes a depth of 20 to 100 only, and its candles take a
resolution in minutes with start/end in unix seconds; the chart asks in its own terms (any
depth, "1m" … "1d", since a time), so the translation lives here, beside the client.
"""

from __future__ import annotations

import time
from typing import Any

from grace_desktop.domain.candles import timeframe_seconds
from grace_desktop.venues.mango_v3.client import MangoV3Client

MIN_DEPTH, MAX_DEPTH = 20, 100
MAX_CANDLES = 1500  # one request's worth: older history comes from what the chart stored


class MarketHistory:
    """Mixed into MangoV3Venue (which owns `client`); both calls carry the client's deadline."""

    client: MangoV3Client

    async def orderbook(self, market: str, depth: int = MIN_DEPTH) -> dict[str, Any]:
        book = await self.client.orderbook(market, min(MAX_DEPTH, max(MIN_DEPTH, depth)))
        return {"bids": list(book.bids[:depth]), "asks": list(book.asks[:depth])}

    async def candles(self, market: str, timeframe: str, since: float | None = None) -> list[tuple[float, ...]]:
        seconds = timeframe_seconds(timeframe)
        end = time.time() + seconds  # through the end of the candle in progress (the service takes whole seconds)
        start = max(since if since is not None else 0.0, end - MAX_CANDLES * seconds)
        rows = await self.client.candles(market, seconds // 60, start, end)
        return [(c.ts, c.open, c.high, c.low, c.close, c.volume) for c in rows]
