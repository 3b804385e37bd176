"""Candle arrays for drawing (numpy, grown by doubling) and the live builders that feed them; no Qt.

Every market keeps one builder per timeframe, so switching timeframe shows bars already built
from the ticks seen so far. Ticks arrive in coalesced batches (≤ 30 per second) and each batch
touches the arrays once per (market, timeframe), not once per tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from grace_desktop.domain.candles import TIMEFRAMES, Bar, CandleBuilder

FIELDS = 6  # ts, open, high, low, close, volume


class CandleSeries:
    """Bars of one market at one timeframe, oldest first: `data[:n]` is an (n, 6) float array."""

    __slots__ = ("seconds", "data", "n", "version")

    def __init__(self, seconds: int, capacity: int = 256) -> None:
        self.seconds = seconds
        self.data = np.empty((capacity, FIELDS), dtype=np.float64)
        self.n = 0
        self.version = 0  # bumped on every change, so a drawing item knows its cache is stale

    def __len__(self) -> int:
        return self.n

    @property
    def view(self) -> np.ndarray:
        return self.data[: self.n]

    def column(self, i: int) -> np.ndarray:
        return self.data[: self.n, i]

    def _room(self, extra: int) -> None:
        if self.n + extra > len(self.data):
            grown = np.empty((max(len(self.data) * 2, self.n + extra), FIELDS), dtype=np.float64)
            grown[: self.n] = self.data[: self.n]
            self.data = grown

    def set_rows(self, rows: np.ndarray) -> None:
        """Replace everything (history loaded or merged)."""
        self.n = 0
        self._room(len(rows))
        self.data[: len(rows)] = rows
        self.n = len(rows)
        self.version += 1

    def put(self, bar: Bar) -> None:
        """Write `bar` over the last row when it is the same bucket, else append it."""
        if self.n and self.data[self.n - 1, 0] == bar.ts:
            self.data[self.n - 1] = bar.as_tuple()
        elif not self.n or bar.ts > self.data[self.n - 1, 0]:
            self._room(1)
            self.data[self.n] = bar.as_tuple()
            self.n += 1
        self.version += 1

    def last_bar(self) -> Bar | None:
        if not self.n:
            return None
        ts, o, h, lo, c, v = (float(x) for x in self.data[self.n - 1])
        return Bar(ts, o, h, lo, c, v)

    def index_at(self, ts: float) -> int | None:
        """The bar whose bucket holds `ts`, if any."""
        if not self.n:
            return None
        i = int(np.searchsorted(self.data[: self.n, 0], ts, side="right")) - 1
        if i < 0 or ts >= self.data[i, 0] + self.seconds:
            return None
        return i


def rows_of(bars: Sequence[Bar]) -> np.ndarray:
    return np.array([b.as_tuple() for b in bars], dtype=np.float64).reshape(-1, FIELDS)


class CandleBook:
    """All markets × all timeframes: live builders, the series drawn from them, closed bars to store."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, int], CandleSeries] = {}
        self._builders: dict[str, list[CandleBuilder]] = {}
        self._closed: list[tuple[str, int, tuple[float, ...]]] = []  # (market, seconds, bar) not yet persisted

    def series(self, market: str, seconds: int) -> CandleSeries:
        key = (market, seconds)
        s = self._series.get(key)
        if s is None:
            s = self._series[key] = CandleSeries(seconds)
        return s

    def _builders_of(self, market: str) -> list[CandleBuilder]:
        builders = self._builders.get(market)
        if builders is None:
            builders = self._builders[market] = []
            for seconds in TIMEFRAMES.values():
                # Continue the stored bar in progress (a restart inside the same minute or day).
                b = CandleBuilder(seconds, self.series(market, seconds).last_bar())
                if b.current is not None:
                    b.current.tick_volume = True
                builders.append(b)
        return builders

    def add_ticks(self, ticks: Iterable[tuple[str, float, float]]) -> set[str]:
        """(market, ts, price) in time order; returns the markets whose bars changed."""
        touched: set[str] = set()
        for market, ts, price in ticks:
            builders = self._builders.get(market) or self._builders_of(market)
            for b in builders:
                closed = b.add(ts, price)
                if closed is not None:
                    self._closed.append((market, b.seconds, closed.as_tuple()))
                    self.series(market, b.seconds).put(closed)
            touched.add(market)
        for market in touched:
            for b in self._builders[market]:
                if b.current is not None:
                    self.series(market, b.seconds).put(b.current)
        return touched

    def load(self, market: str, seconds: int, rows: np.ndarray) -> None:
        """History (stored or from the venue), merged under what was built live since start."""
        s = self.series(market, seconds)
        live = s.view.copy()
        if len(rows) and len(live):
            rows = rows[rows[:, 0] < live[0, 0]]
        s.set_rows(np.concatenate([rows, live]) if len(live) else rows)
        builders = self._builders.get(market)
        if builders is not None:
            for b in builders:
                if b.seconds == seconds and b.current is None:
                    b.current = s.last_bar()

    def take_closed(self) -> list[tuple[str, int, tuple[float, ...]]]:
        """Closed bars since the last call, plus each series' bar in progress (stored as it stands)."""
        closed, self._closed = self._closed, []
        for market, builders in self._builders.items():
            for b in builders:
                if b.current is not None:
                    closed.append((market, b.seconds, b.current.as_tuple()))
        return closed
