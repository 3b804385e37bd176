"""Per-subscriber price streams that never hold up the feed.

Each subscriber gets its own bounded buffer. When it is full, the oldest buffered tick of
the same market is dropped (a newer price of that market supersedes it), so a slow reader
sees fresh prices and the producer never waits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable

from grace_desktop.venues.base import Tick


class PriceSubscription:
    """Async iterator of Ticks; ends when closed (by the reader, or by the venue closing)."""

    def __init__(
        self,
        markets: Iterable[str] | None,
        maxsize: int = 256,
        on_close: Callable[[PriceSubscription], None] | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize: must be >= 1, got {maxsize}")
        self.markets = None if markets is None else frozenset(markets)
        self.maxsize = maxsize
        self.dropped = 0
        self._buffer: deque[Tick] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._on_close = on_close

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._buffer)

    def wants(self, market: str) -> bool:
        return self.markets is None or market in self.markets

    def push(self, tick: Tick) -> None:
        """Buffer `tick` (synchronous, never blocks); drops the oldest tick of its market when full."""
        if self._closed or not self.wants(tick.market):
            return
        buffer = self._buffer
        if len(buffer) >= self.maxsize:
            for i, queued in enumerate(buffer):
                if queued.market == tick.market:
                    del buffer[i]
                    break
            else:
                buffer.popleft()
            self.dropped += 1
        buffer.append(tick)
        self._wake()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake()
        if self._on_close is not None:
            self._on_close(self)

    async def aclose(self) -> None:
        self.close()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> PriceSubscription:
        return self

    async def __anext__(self) -> Tick:
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._buffer.popleft()

    async def __aenter__(self) -> PriceSubscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
