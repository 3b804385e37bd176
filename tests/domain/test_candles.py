"""Candles from ticks: checked against an independent brute-force resample, and at UTC boundaries."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grace_desktop.domain.candles import TIMEFRAMES, Bar, CandleBuilder, aggregate, bucket_start, merge, resample


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def brute_force(ticks: list[tuple[float, float]], seconds: int) -> list[tuple[float, ...]]:
    """Group by integer bucket number, then read OHLC off each group in arrival order."""
    groups: dict[int, list[float]] = defaultdict(list)
    for ts, price in ticks:
        groups[int(ts // seconds)].append(price)
    return [(float(k * seconds), g[0], max(g), min(g), g[-1], float(len(g))) for k, g in sorted(groups.items())]


tick_lists = st.lists(
    st.tuples(st.floats(0, 3 * 86_400, allow_nan=False), st.floats(0.01, 1e6, allow_nan=False)),
    max_size=300,
).map(lambda ticks: sorted(ticks, key=lambda t: t[0]))


@settings(max_examples=200, deadline=None)
@given(ticks=tick_lists, timeframe=st.sampled_from(sorted(TIMEFRAMES)), offset=st.integers(0, 10_000))
def test_aggregate_matches_brute_force(ticks: list[tuple[float, float]], timeframe: str, offset: int) -> None:
    seconds = TIMEFRAMES[timeframe]
    shifted = [(ts + 1_764_000_000 + offset * 60, px) for ts, px in ticks]  # around late 2025, minutes apart
    got = [b.as_tuple() for b in aggregate(shifted, seconds)]
    assert got == brute_force(shifted, seconds)


@settings(max_examples=100, deadline=None)
@given(ticks=tick_lists)
def test_resampling_one_minute_bars_equals_aggregating_ticks(ticks: list[tuple[float, float]]) -> None:
    minutes = aggregate(ticks, 60)
    for seconds in TIMEFRAMES.values():
        assert [b.as_tuple() for b in resample(minutes, seconds)] == [b.as_tuple() for b in aggregate(ticks, seconds)]


def test_four_hour_boundary_is_utc() -> None:
    ticks = [(utc(2026, 12, 1, 3, 59, 59), 100.0), (utc(2026, 12, 1, 3, 59, 59) + 0.999, 101.0),
             (utc(2026, 12, 1, 4, 0, 0), 90.0), (utc(2026, 12, 1, 7, 59, 59), 95.0), (utc(2026, 12, 1, 8), 96.0)]
    bars = aggregate(ticks, TIMEFRAMES["4h"])
    assert [b.ts for b in bars] == [utc(2026, 12, 1, 0), utc(2026, 12, 1, 4), utc(2026, 12, 1, 8)]
    assert bars[0].as_tuple()[1:] == (100.0, 101.0, 100.0, 101.0, 2.0)
    assert bars[1].as_tuple()[1:] == (90.0, 95.0, 90.0, 95.0, 2.0)


def test_day_boundary_is_utc_midnight_across_a_month_and_year_end() -> None:
    ticks = [(utc(2026, 12, 31, 23, 59, 59), 10.0), (utc(2027, 1, 1, 0, 0, 0), 11.0), (utc(2027, 1, 1, 23, 0), 9.0)]
    bars = aggregate(ticks, TIMEFRAMES["1d"])
    assert [b.ts for b in bars] == [utc(2026, 12, 31), utc(2027, 1, 1)]
    assert bars[1].as_tuple()[1:] == (11.0, 11.0, 9.0, 9.0, 2.0)
    assert bucket_start(utc(2027, 1, 1) - 1e-6, 86_400) == utc(2026, 12, 31)


def test_builder_reports_the_bar_a_new_bucket_closes_and_skips_late_ticks() -> None:
    b = CandleBuilder(60)
    assert b.add(120.0, 5.0) is None
    assert b.add(130.0, 6.0, volume=2.5) is None
    closed = b.add(185.0, 4.0)
    assert closed is not None and closed.as_tuple() == (120.0, 5.0, 6.0, 5.0, 6.0, 3.5)
    assert b.add(150.0, 100.0) is None and b.late == 1  # a closed bar never changes afterwards
    assert b.current is not None and b.current.high == 4.0
    assert b.add(190.0, float("nan")) is None and b.current.close == 4.0


def test_merge_prefers_newer_bars() -> None:
    old = [Bar(0, 1, 1, 1, 1), Bar(60, 2, 2, 2, 2)]
    new = [Bar(60, 3, 3, 3, 3), Bar(120, 4, 4, 4, 4)]
    assert [b.open for b in merge(old, new)] == [1, 3, 4]


def test_unknown_timeframe_is_refused() -> None:
    from grace_desktop.domain.candles import timeframe_seconds
    with pytest.raises(ValueError, match="unknown timeframe"):
        timeframe_seconds("2m")
