"""A price stream that survives its venue: re-opens with capped exponential backoff and jitter.

`SupervisedStream` wraps a factory of tick streams (typically
`lambda: venue.subscribe_prices(markets)`) and is itself one endless async iterator of
Ticks. When the underlying stream ends or raises, it reports `reconnecting` (with the error
text and the wait), sleeps `min(base * 2**(attempt-1), max)` times a random factor in
[1 - jitter, 1 + jitter] (at least a `VenueError.retry_after`), and opens a new one.

When the attempt counter resets: after a stream that delivered at least one tick stayed up
for `healthy_after` seconds from its first tick. Not at the first tick, because a common
failure is a server that answers the subscription with a snapshot and then drops the
connection (rate limit, bad auth on a later frame): resetting at the first tick would
reconnect at the base delay forever, hammering the venue twice a second. Requiring a stretch
of good service lets the backoff climb to its cap in that loop, while a stream that was
healthy for a while and then broke is retried quickly.

`connected` is reported at the first tick of each stream, not when it is opened: an async
generator does nothing until it is first read, so only a tick proves the stream works.

It ends (StopAsyncIteration, status `closed`) when `close()`/`aclose()` is called, even while
waiting to reconnect or for a tick, and when the task reading it is cancelled (like an async
generator, it cannot go on after a cancelled read; the CancelledError propagates).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from grace_desktop.venues.base import Tick, VenueError

log = logging.getLogger(__name__)

StreamState = Literal["connected", "reconnecting", "closed"]
_DETAIL_MAX = 200


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """What the status bar shows for one venue's price stream.

    `attempt` counts consecutive failures (0 before any); `retry_in` is the wait before the
    next open, set only while reconnecting; `detail` is the error's text, never a traceback.
    """

    venue: str
    state: StreamState
    detail: str = ""
    attempt: int = 0
    retry_in: float | None = None


def error_text(exc: BaseException | None) -> str:
    """One line naming what went wrong, without the traceback. VenueError messages are meant for users."""
    if exc is None:
        return "stream ended"
    message = " ".join(str(exc).split())
    if not isinstance(exc, VenueError):
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    message = message or type(exc).__name__
    return message if len(message) <= _DETAIL_MAX else message[: _DETAIL_MAX - 1] + "…"


class SupervisedStream:
    """Async iterator of Ticks from `open_stream()`, re-opened after it ends or fails."""

    def __init__(
        self,
        venue_name: str,
        open_stream: Callable[[], AsyncIterator[Tick]],
        *,
        on_status: Callable[[StreamStatus], None],
        backoff: tuple[float, float] = (0.5, 30.0),
        jitter: float = 0.25,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        healthy_after: float = 10.0,
    ) -> None:
        base, cap = backoff
        if not (math.isfinite(base) and base > 0 and math.isfinite(cap) and cap >= base):
            raise ValueError(f"backoff: need 0 < base <= max, both finite; got {backoff!r}")
        if not (0 <= jitter < 1):
            raise ValueError(f"jitter: must be in [0, 1); got {jitter!r}")
        if not (math.isfinite(healthy_after) and healthy_after >= 0):
            raise ValueError(f"healthy_after: must be >= 0; got {healthy_after!r}")
        self.venue_name = venue_name
        self._open = open_stream
        self._on_status = on_status
        self._base, self._cap = base, cap
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._clock = clock
        self._healthy_after = healthy_after

        self._inner: AsyncIterator[Tick] | None = None
        self._first_tick_at: float | None = None  # of the current inner stream
        self._failures = 0  # consecutive, since the last healthy stretch
        self._delay = 0.0  # wait before the next open
        self._closed = False
        self._reader: asyncio.Task[object] | None = None  # the task inside __anext__, if any
        self._cancelled_by_close = False
        self.status: StreamStatus | None = None  # the last one reported
        self.opens = 0  # how many times open_stream was called

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def attempt(self) -> int:
        return self._failures

    def delay_for(self, attempt: int) -> float:
        """The wait before retry number `attempt` (1-based), jitter included."""
        capped = min(self._base * 2.0 ** min(attempt - 1, 64), self._cap)
        return capped * self._rng.uniform(1.0 - self._jitter, 1.0 + self._jitter)

    # -- closing -------------------------------------------------------------------------

    @property
    def buffered(self) -> int:
        """Ticks the current underlying stream holds that were not read yet (0 if it cannot tell)."""
        inner = self._inner
        try:
            return len(inner) if inner is not None else 0  # type: ignore[arg-type]
        except TypeError:
            return 0

    def close(self) -> None:
        """Stop: the reader (waiting for a tick or to reconnect) ends promptly with StopAsyncIteration."""
        if self._closed:
            return
        self._closed = True
        reader = self._reader
        try:
            current = asyncio.current_task()
        except RuntimeError:  # called outside any event loop
            current = None
        # Interrupt a reader parked in an await; a close from inside the reader's own task
        # (e.g. from on_status) needs no interruption: it sees the flag before awaiting again.
        if reader is not None and reader is not current and not reader.done():
            self._cancelled_by_close = True
            reader.cancel()
        if reader is None:
            self._report("closed")

    async def aclose(self) -> None:
        self.close()
        if self._reader is None:
            await self._drop_inner()

    # -- iteration -----------------------------------------------------------------------

    def __aiter__(self) -> SupervisedStream:
        return self

    async def __anext__(self) -> Tick:
        if self._first_tick_at is not None and not self._closed and self._reader is None:
            # A healthy stream with ticks already buffered (a venue's BufferedStream): hand the next
            # one over without the reader bookkeeping below, which exists for waits that can be cancelled.
            take_ready = getattr(self._inner, "take_ready", None)
            tick = take_ready() if take_ready is not None else None
            if tick is not None:
                return tick if tick.venue else Tick(tick.market, tick.price, tick.ts, self.venue_name, tick.market_ts)
        if self._closed:
            await self._drop_inner()
            raise StopAsyncIteration
        if self._reader is not None:
            raise RuntimeError("SupervisedStream is already being read by another task")
        reader = self._reader = asyncio.current_task()
        try:
            return await self._next_tick()
        except asyncio.CancelledError:
            by_close, self._cancelled_by_close = self._cancelled_by_close, False
            if by_close and reader is not None and reader.uncancel() == 0:
                # Our own cancel from close(), and nobody else's: a clean end.
                await self._drop_inner()
                self._report("closed")
                raise StopAsyncIteration from None
            self._closed = True
            await self._drop_inner()
            self._report("closed")
            raise
        finally:
            self._reader = None
            if self._cancelled_by_close and reader is not None:
                # The inner stream swallowed our cancel and we ended anyway: take it back so
                # the reader's task is not left marked as being cancelled.
                self._cancelled_by_close = False
                reader.uncancel()

    async def _next_tick(self) -> Tick:
        while not self._closed:
            if self._inner is None:
                if self._failures:
                    await self._sleep(self._delay)
                    if self._closed:
                        break
                self.opens += 1
                self._first_tick_at = None
                try:
                    self._inner = aiter(self._open())
                except Exception as exc:  # noqa: BLE001 - any failure to open is retried
                    self._failed(exc)
                    continue
            try:
                tick = await anext(self._inner)
            except StopAsyncIteration:
                self._failed(None)
                await self._drop_inner()
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a broken stream is re-opened, whatever broke it
                self._failed(exc)
                await self._drop_inner()
                continue
            if self._first_tick_at is None:
                self._first_tick_at = self._clock()
                self._report("connected", attempt=self._failures)
            if self._closed:  # closed by on_status, or while the tick was in flight
                break
            if not tick.venue:
                tick = Tick(tick.market, tick.price, tick.ts, self.venue_name, tick.market_ts)
            return tick
        await self._drop_inner()
        self._report("closed")
        raise StopAsyncIteration

    def _failed(self, exc: BaseException | None) -> None:
        healthy_since = self._first_tick_at
        if healthy_since is not None and self._clock() - healthy_since >= self._healthy_after:
            self._failures = 0
        self._failures += 1
        delay = self.delay_for(self._failures)
        if isinstance(exc, VenueError) and exc.retry_after is not None and exc.retry_after > delay:
            delay = exc.retry_after
        self._delay = delay
        detail = error_text(exc)
        log.warning("%s price stream: %s; reconnecting in %.1fs (attempt %d)",
                    self.venue_name, detail, delay, self._failures)
        self._report("reconnecting", detail=detail, attempt=self._failures, retry_in=delay)

    async def _drop_inner(self) -> None:
        inner, self._inner = self._inner, None
        aclose = getattr(inner, "aclose", None)
        if aclose is None:
            return
        try:
            await aclose()
        except Exception as exc:  # noqa: BLE001 - a stream that fails to close is already gone to us
            log.debug("%s price stream: closing the old stream failed: %s", self.venue_name, error_text(exc))

    def _report(self, state: StreamState, *, detail: str = "", attempt: int = 0,
                retry_in: float | None = None) -> None:
        if state == "closed" and self.status is not None and self.status.state == "closed":
            return
        status = StreamStatus(self.venue_name, state, detail, attempt, retry_in)
        self.status = status
        try:
            self._on_status(status)
        except Exception:  # a broken status listener must not take the price feed down with it
            log.exception("%s price stream: status listener failed", self.venue_name)
