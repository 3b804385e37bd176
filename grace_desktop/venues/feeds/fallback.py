"""A live price source that is never required for start-up: simulated prices when it cannot be reached.

`FallbackFeed(live, fallback)` starts reading `live`; if it has not delivered its first price
after `startup_attempts` failed tries or `startup_deadline` seconds, whichever comes first,
the paper venue trades on `fallback()` (the simulated feed) for the rest of the session and a
`FeedNotice` says so. The switch is one-way on purpose: going back to the real market later
would make every price jump from the simulated level, firing stops nobody set for that.

Once live prices have flowed, an outage is not papered over with invented prices: the
supervised stream reconnects with backoff, the markets go stale (the monitor's staleness
watch alerts that stops are running blind) and a notice says the live source is interrupted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Literal

from grace_desktop.venues.base import Tick
from grace_desktop.venues.feeds.candles import Candle
from grace_desktop.venues.feeds.live import LiveFeed
from grace_desktop.venues.feeds.notice import FeedNotice, NoticeKind
from grace_desktop.venues.supervisor import StreamStatus

log = logging.getLogger(__name__)

__all__ = ["FallbackFeed", "FeedNotice", "NoticeKind"]

class FallbackFeed:
    """Async iterable of Ticks: the live feed, or `fallback()` when live never answered at start-up."""

    def __init__(
        self,
        live: LiveFeed,
        fallback: Callable[[], AsyncIterable[Tick]],
        *,
        on_notice: Callable[[FeedNotice], None] | None = None,
        startup_attempts: int = 2,
        startup_deadline: float = 15.0,
    ) -> None:
        if startup_attempts < 1:
            raise ValueError(f"startup_attempts: must be >= 1, got {startup_attempts}")
        self.live = live
        self.fallback = fallback
        self.on_notice = on_notice
        self.startup_attempts = startup_attempts
        self.startup_deadline = startup_deadline
        self.source: Literal["starting", "live", "simulated"] = "starting"
        self.notices: list[FeedNotice] = []
        self._live_seen = False
        self._interrupted = False
        self._gave_up = ""
        live.on_status = self._on_status

    def _notify(self, kind: NoticeKind, text: str) -> None:
        notice = FeedNotice(kind, text)
        self.notices.append(notice)
        del self.notices[:-20]
        log.log(logging.WARNING if kind in ("fallback", "interrupted") else logging.INFO, "price feed: %s", text)
        if self.on_notice is not None:
            try:
                self.on_notice(notice)
            except Exception:  # a broken listener must not stop the prices
                log.exception("feed notice listener failed")

    def _on_status(self, status: StreamStatus) -> None:
        stream = self.live.stream
        if status.state == "connected":
            if not self._live_seen:
                self._live_seen = True
                self._notify("live", f"live prices from {self.live.url}")
            elif self._interrupted:
                self._interrupted = False
                self._notify("restored", f"live prices from {self.live.url} are back")
        elif status.state == "reconnecting":
            if not self._live_seen:
                if status.attempt >= self.startup_attempts and stream is not None:
                    self._gave_up = status.detail
                    stream.close()  # ends the start-up read below; we switch to the fallback
            elif not self._interrupted:
                self._interrupted = True
                self._notify("interrupted", f"live prices interrupted ({status.detail}); retrying, "
                             "markets go stale until they are back")

    def __aiter__(self) -> AsyncIterator[Tick]:
        return self._run()

    async def _run(self) -> AsyncIterator[Tick]:
        stream = aiter(self.live)
        first: Tick | None = None
        try:
            async with asyncio.timeout(self.startup_deadline):
                first = await anext(stream, None)
        except TimeoutError:
            self._gave_up = self._gave_up or f"no price within {self.startup_deadline:g} s"
        if first is None:
            await self.live.aclose()
            self.source = "simulated"
            reason = self._gave_up or "the live source ended"
            self._notify("fallback", f"live prices from {self.live.url} are unavailable ({reason}); "
                         "trading on simulated prices this session — restart to try live prices again")
            async for tick in self.fallback():
                yield tick
            return
        self.source = "live"
        try:
            yield first
            async for tick in stream:
                yield tick
        finally:
            await self.live.aclose()

    async def candles(self, market: str, timeframe: str, since: float, until: float | None = None) -> list[Candle]:
        """The live source's candles (for a chart back-fill): empty while trading on simulated prices."""
        if self.source == "simulated":
            return []
        return await self.live.candles(market, timeframe, since, until)
