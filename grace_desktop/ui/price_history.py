"""Price history for the chart kept across restarts, and back-filled from the venue.

On showing a market and timeframe: the stored candles are read (a reader thread), then the
venue's own candles are asked for when it offers them — an optional venue method
`candles(market, timeframe, since) -> [(ts, open, high, low, close, volume), ...]` (the paper
venue answers from its feed; a remote venue from its candles endpoint) — and merged under the
bars built live since start. Closed bars and each bar in progress are written every
SAVE_INTERVAL_MS by the storage writer (never on the GUI thread) and once more at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import numpy as np

from grace_desktop.domain.candles import TIMEFRAMES
from grace_desktop.ui.candles_series import FIELDS, CandleBook
from grace_desktop.ui.qt import QObject, QTimer

log = logging.getLogger(__name__)

SAVE_INTERVAL_MS = 10_000
LOAD_LIMIT = 50_000  # bars per series read at start (35 days of 1m bars)
VENUE_DEADLINE_S = 10.0


def _rows(candles: Iterable[Any]) -> np.ndarray:
    """Venue candles as (n, 6) rows: tuples, or objects with ts/open/high/low/close/volume."""
    out = []
    for c in candles:
        if isinstance(c, (tuple, list)):
            out.append(tuple(float(x) for x in c[:FIELDS]))
        else:
            out.append((float(c.ts), float(c.open), float(c.high), float(c.low), float(c.close), float(c.volume)))
    rows = np.array(out, dtype=np.float64).reshape(-1, FIELDS)
    ok = np.isfinite(rows).all(axis=1) & (rows[:, 1:5] > 0).all(axis=1)
    rows = rows[ok]
    return rows[np.argsort(rows[:, 0], kind="stable")]


class PriceHistoryKeeper(QObject):
    def __init__(self, book: CandleBook, store: Any, venue_name: str, venue: Any, tasks: Any,
                 on_loaded: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.store = store
        self.venue_name = venue_name
        self.venue = venue
        self.tasks = tasks
        self.on_loaded = on_loaded  # (market, timeframe) -> None
        self._loaded: set[tuple[str, str]] = set()
        self._saving: asyncio.Task[Any] | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(SAVE_INTERVAL_MS)
        self.timer.timeout.connect(self.save_soon)
        self.timer.start()

    def ensure(self, market: str, timeframe: str) -> asyncio.Task[Any] | None:
        """Load one series' history once (stored, then the venue's); None when already loaded."""
        if not market or (market, timeframe) in self._loaded:
            return None
        self._loaded.add((market, timeframe))
        return self.tasks.spawn(self.load(market, timeframe), f"price history {market} {timeframe}")

    async def load(self, market: str, timeframe: str) -> None:
        seconds = TIMEFRAMES[timeframe]
        stored = await self.store.read(self.store.candles.recent, self.venue_name, market, seconds, LOAD_LIMIT)
        rows = _rows(stored)
        if len(rows):
            self.book.load(market, seconds, rows)
            self.on_loaded(market, timeframe)
        fetch = getattr(self.venue, "candles", None)
        if fetch is None:
            return
        since = float(rows[-1, 0]) if len(rows) else None
        try:
            # asyncio.timeout, not wait_for(coro): with no running loop (qasync's last event pass)
            # it fails before the venue's coroutine exists, so none is left un-awaited.
            async with asyncio.timeout(VENUE_DEADLINE_S):
                fetched = _rows(await fetch(market, timeframe, since))
        except Exception as exc:  # a venue without history (or unreachable) leaves the stored and live bars
            log.info("no %s %s candles from %s: %s", market, timeframe, self.venue_name, exc)
            return
        if not len(fetched):
            return
        merged = fetched if not len(rows) else np.concatenate([rows[rows[:, 0] < fetched[0, 0]], fetched])
        self.book.load(market, seconds, merged)
        self.on_loaded(market, timeframe)
        await self.store.write(self.store.candles.save_many, self.venue_name,
                               [(market, seconds, tuple(r)) for r in fetched.tolist()])

    def save_soon(self) -> asyncio.Task[Any] | None:
        if self._saving is not None and not self._saving.done():
            return None  # the previous batch is still being written; its bars are not lost, only later
        rows = self.book.take_closed()
        if not rows:
            return None
        self._saving = self.tasks.spawn(self._save(rows), "save price history")
        return self._saving

    async def _save(self, rows: list[tuple[str, int, tuple[float, ...]]]) -> None:
        await self.store.write(self.store.candles.save_many, self.venue_name, rows)

    async def close(self) -> None:
        """At shutdown, before storage closes: the last bars."""
        self.timer.stop()
        if self._saving is not None:
            await asyncio.gather(self._saving, return_exceptions=True)
        rows = self.book.take_closed()
        if rows:
            await self._save(rows)
