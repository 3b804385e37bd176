"""Per-subscriber price streams that never hold up the feed.

Each subscriber gets its own bounded buffer. When it is full, the oldest buffered tick of
the same market is dropped (a newer price of that market supersedes it), so a slow reader
sees fresh prices and the producer never waits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from grace_desktop.venues.base import Tick
from grace_desktop.venues.buffered import BufferedStream


class PriceSubscription(BufferedStream[Tick]):
    """Async iterator of Ticks; ends when closed (by the reader, or by the venue closing)."""

    def __init__(
        self,
        markets: Iterable[str] | None,
        maxsize: int = 256,
        on_close: Callable[[PriceSubscription], None] | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize: must be >= 1, got {maxsize}")
        super().__init__(on_close)
        self.markets = None if markets is None else frozenset(markets)
        self.maxsize = maxsize
        self.dropped = 0

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
