"""Candles (OHLCV bars) built from ticks, in UTC-aligned buckets; pure Python.

A bucket of `seconds` starts at a multiple of `seconds` since the Unix epoch. Every timeframe
the chart offers divides a day, so 4h candles start at 00:00, 04:00, … UTC and 1d candles at
UTC midnight, whatever the machine's time zone.

Volume: a tick that carries a traded size adds it; one that does not (a mid-price feed) adds 1,
so a live-built candle's volume is its tick count (what FX terminals call tick volume) —
`Bar.tick_volume` says which one it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

TIMEFRAMES: dict[str, int] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14_400, "1d": 86_400}


def timeframe_seconds(name: str) -> int:
    try:
        return TIMEFRAMES[name]
    except KeyError:
        raise ValueError(f"unknown timeframe {name!r}; expected one of {', '.join(TIMEFRAMES)}") from None


def bucket_start(ts: float, seconds: int) -> float:
    """The open time of the UTC-aligned bucket that holds `ts`."""
    return float(math.floor(ts / seconds) * seconds)


@dataclass(slots=True)
class Bar:
    ts: float  # bucket open, unix seconds UTC
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    tick_volume: bool = False

    def add(self, price: float, volume: float) -> None:
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.close = price
        self.volume += volume

    def as_tuple(self) -> tuple[float, float, float, float, float, float]:
        return (self.ts, self.open, self.high, self.low, self.close, self.volume)


class CandleBuilder:
    """One market at one timeframe: ticks in, the bar in progress and the bars it closed out.

    Ticks are expected in time order. One older than the bar in progress cannot change a closed
    bar any more (it was already drawn and stored), so it is counted in `late` and skipped.
    """

    __slots__ = ("seconds", "current", "late")

    def __init__(self, seconds: int, current: Bar | None = None) -> None:
        if seconds <= 0:
            raise ValueError("a timeframe must be a positive number of seconds")
        self.seconds = seconds
        self.current = current
        self.late = 0

    def add(self, ts: float, price: float, volume: float | None = None) -> Bar | None:
        """Fold one tick in; returns the bar it closed (the tick opened a new bucket), else None."""
        if not (price > 0 and math.isfinite(price)):
            return None
        start = bucket_start(ts, self.seconds)
        size = 1.0 if volume is None else volume
        bar = self.current
        if bar is not None and start == bar.ts:
            bar.add(price, size)
            return None
        if bar is not None and start < bar.ts:
            self.late += 1
            return None
        self.current = Bar(start, price, price, price, price, size, tick_volume=volume is None)
        return bar


def aggregate(ticks: Iterable[tuple[float, float]], seconds: int) -> list[Bar]:
    """All bars of (ts, price) ticks given in time order, the one in progress last."""
    builder = CandleBuilder(seconds)
    bars: list[Bar] = []
    for ts, price in ticks:
        closed = builder.add(ts, price)
        if closed is not None:
            bars.append(closed)
    if builder.current is not None:
        bars.append(builder.current)
    return bars


def resample(bars: Iterable[Bar], seconds: int) -> list[Bar]:
    """Finer bars (in time order) into coarser UTC-aligned ones: 1m → 5m, 1h → 1d, …"""
    out: list[Bar] = []
    for bar in bars:
        start = bucket_start(bar.ts, seconds)
        last = out[-1] if out else None
        if last is not None and last.ts == start:
            last.high = max(last.high, bar.high)
            last.low = min(last.low, bar.low)
            last.close = bar.close
            last.volume += bar.volume
            last.tick_volume = last.tick_volume or bar.tick_volume
        elif last is None or start > last.ts:
            out.append(Bar(start, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.tick_volume))
    return out


def merge(history: list[Bar], newer: list[Bar]) -> list[Bar]:
    """History followed by newer bars; where both have a bucket, the newer bar wins."""
    if not newer:
        return list(history)
    first = newer[0].ts
    kept = [b for b in history if b.ts < first]
    return kept + list(newer)
