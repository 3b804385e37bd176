"""Simulated feed determinism and shape; replay of the shipped sample and of malformed files."""

from __future__ import annotations

import asyncio
import math
import statistics
from pathlib import Path

import pytest

from grace_desktop.domain import validation as v
from grace_desktop.venues.base import Tick
from grace_desktop.venues.feeds import PriceProcess, ReplayFeed, SimulatedFeed
from grace_desktop.venues.feeds.candles import (
    CANDLE_COLUMNS,
    Candle,
    CandleFileError,
    default_candles_dir,
    read_candles,
)
from grace_desktop.venues.paper.markets import DEFAULT_MARKETS


def test_simulated_feed_is_deterministic_for_a_seed() -> None:
    a = SimulatedFeed(seed=42).take(600)
    assert a == SimulatedFeed(seed=42).take(600)
    assert a != SimulatedFeed(seed=43).take(600)
    assert [t.market for t in a[:6]] == list(DEFAULT_MARKETS)  # one tick per market per round
    assert a[6].ts - a[0].ts == pytest.approx(0.25)  # 4 rounds a second by default


def test_simulated_prices_sit_on_the_tick_grid_and_spot_follows_its_perp() -> None:
    ticks = SimulatedFeed(seed=3, speed=600.0).take(6 * 2_000)
    for tick in ticks:
        assert v.is_multiple(tick.price, DEFAULT_MARKETS[tick.market].tick_size), tick
    perp = [t.price for t in ticks if t.market == "SOL-PERP"]
    spot = [t.price for t in ticks if t.market == "SOL/USDC"]
    assert max(abs(s / p - 1) for s, p in zip(spot, perp, strict=True)) < 0.01


def test_regimes_switch_and_volatile_stretches_move_more() -> None:
    process = PriceProcess({"BTC-PERP": 60_000.0}, seed=11, jumps_per_day=0.0)
    calm: list[float] = []
    wild: list[float] = []
    last = 60_000.0
    for _ in range(40_000):  # about 9 days of 20 s steps
        price = process.step(20.0)["BTC-PERP"]
        (wild if process.volatile else calm).append(math.log(price / last))
        last = price
    assert len(calm) > 1_000 and len(wild) > 1_000
    assert statistics.pstdev(wild) / statistics.pstdev(calm) == pytest.approx(2.5, rel=0.1)
    daily = statistics.pstdev(calm) * math.sqrt(86_400 / 20)
    assert daily == pytest.approx(0.55 / math.sqrt(365), rel=0.1)  # the calm regime's annualized 55 %


def test_jumps_happen_at_about_the_configured_rate() -> None:
    quiet = PriceProcess({"X": 100.0}, seed=5, volatility={"X": 0.0001}, volatile_multiplier=1.0,
                         jumps_per_day=50.0, jump_sd=0.05)
    big = sum(abs(math.log(b / a)) > 0.01 for a, b in _pairs(quiet, 8_640, 10.0))
    assert 25 < big < 80  # 50 a day, minus the few smaller than 1 %


def _pairs(process: PriceProcess, n: int, dt: float) -> list[tuple[float, float]]:
    prices = [process.step(dt)["X"] for _ in range(n)]
    return list(zip(prices, prices[1:], strict=False))


async def test_async_iteration_yields_the_same_ticks_paced_in_real_time() -> None:
    feed = SimulatedFeed({"BTC-PERP": 60_000.0, "ETH-PERP": 3_000.0}, seed=9, tick_rate_hz=50.0,
                         start_ts=100.0, max_ticks=10)
    loop = asyncio.get_running_loop()
    began = loop.time()
    got = [t async for t in feed]
    assert got == feed.take(10, start_ts=100.0)
    assert loop.time() - began >= 4 / 50 * 0.9  # five rounds, four waits of 1/50 s


def test_bad_feed_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="tick_rate_hz"):
        SimulatedFeed(tick_rate_hz=0)
    with pytest.raises(ValueError, match="start price of BTC-PERP"):
        SimulatedFeed({"BTC-PERP": -1.0})
    with pytest.raises(ValueError, match="speed"):
        ReplayFeed(speed=-1)


def test_shipped_sample_parses_and_looks_like_candles() -> None:
    files = sorted(default_candles_dir().glob("*.csv"))
    assert [f.name for f in files] == ["BTC-PERP_1m.csv", "ETH-PERP_1m.csv", "SOL-PERP_1m.csv"]
    for path in files:
        candles = list(read_candles(path))
        assert len(candles) == 2_880
        assert all(b.ts - a.ts == 60 for a, b in zip(candles, candles[1:], strict=False))
        assert all(b.open == a.close for a, b in zip(candles, candles[1:], strict=False))
        spec = DEFAULT_MARKETS[candles[0].market]
        assert all(v.is_multiple(c.high, spec.tick_size) and c.volume > 0 for c in candles)
        moves = [abs(math.log(c.close / c.open)) for c in candles]
        assert 0.0002 < statistics.mean(moves) < 0.005  # minute moves of a liquid crypto market
    assert "| `volume` |" in (default_candles_dir() / "README.md").read_text()


def test_replay_emits_open_extremes_close_in_a_plausible_order() -> None:
    feed = ReplayFeed(speed=0)
    first = list(_take(feed.ticks(), 16))
    btc = [t for t in first if t.market == "BTC-PERP"]
    candle = next(read_candles(default_candles_dir() / "BTC-PERP_1m.csv"))
    expected = [candle.open, candle.low, candle.high, candle.close] if candle.close >= candle.open else \
        [candle.open, candle.high, candle.low, candle.close]
    assert [t.price for t in btc] == expected
    assert [t.ts - candle.ts for t in btc] == [0, 15, 30, 45]
    assert [t.price for t in first if t.market == "SOL/USDC"] == [t.price for t in first if t.market == "SOL-PERP"]
    ts = [t.ts for t in feed.ticks()]
    assert ts == sorted(ts) and len(ts) == 4 * 2_880 * 4  # three perps + SOL/USDC following SOL-PERP


def test_a_falling_candle_goes_up_first() -> None:
    c = Candle(0.0, "X", 10.0, 12.0, 7.0, 8.0, 1.0)
    assert [t.price for t in c.ticks()] == [10.0, 12.0, 7.0, 8.0]


def _take(ticks: object, n: int) -> list[Tick]:
    out = []
    for tick in ticks:  # type: ignore[attr-defined]
        out.append(tick)
        if len(out) == n:
            break
    return out


def _write(path: Path, *rows: str, header: str = ",".join(CANDLE_COLUMNS)) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (["60,SOL-PERP,1,1.2,0.9,1.1,5", "120,SOL-PERP,1.1,abc,1,1.1,5"], 3, "column 'high' is not a number: 'abc'"),
        (["60,SOL-PERP,1,1.2,0.9,1.1,5", "120,SOL-PERP,1.1,1.2,1,1.1"], 3, "expected 7 columns, found 6"),
        (["60,SOL-PERP,1,1.05,0.9,1.1,5"], 2, "high 1.05 / low 0.9 do not bracket open 1 and close 1.1"),
        (["60,SOL-PERP,1,1.2,0.9,1.1,-5"], 2, "column 'volume' must be a finite number >= 0, got '-5'"),
        (["60,SOL-PERP,0,1.2,0.9,1.1,5"], 2, "column 'open' must be a finite number > 0, got '0'"),
        (["120,SOL-PERP,1,1.2,0.9,1.1,5", "60,SOL-PERP,1,1.2,0.9,1.1,5"], 3, "timestamp 60 goes back in time (previous row 120)"),
        (["60,SOL-PERP,1,1.2,0.9,1.1,5", "60,SOL-PERP,1,1.2,0.9,1.1,5"], 3, "duplicate SOL-PERP candle at timestamp 60"),
        (["60,,1,1.2,0.9,1.1,5"], 2, "column 'market' is empty"),
    ],
)
def test_malformed_rows_name_the_file_and_line(tmp_path: Path, rows: list[str], line: int, message: str) -> None:
    path = _write(tmp_path / "bad.csv", *rows)
    with pytest.raises(CandleFileError) as error:
        list(ReplayFeed(path, speed=0).ticks())
    assert str(error.value) == f"{path}, line {line}: {message}"
    assert error.value.line == line and error.value.path == path


def test_missing_header_columns_and_missing_files_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "cols.csv", "60,SOL-PERP,1,1,1,1", header="timestamp,market,open,high,low,close")
    with pytest.raises(CandleFileError, match=r"cols.csv, line 1: header lacks column\(s\) volume"):
        list(read_candles(path))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(CandleFileError, match="empty.csv, line 1: the file is empty"):
        list(read_candles(tmp_path / "empty.csv"))
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        ReplayFeed(tmp_path / "nope.csv")
    (tmp_path / "no-csv").mkdir()
    with pytest.raises(FileNotFoundError, match="no candle files"):
        ReplayFeed(tmp_path / "no-csv")


async def test_async_replay_retimes_to_the_clock_and_repeat_continues_the_price(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.csv", "60,SOL-PERP,100,101,99,100.5,5", "120,SOL-PERP,100.5,102,100.4,101,5")
    stamps = iter(range(1_000, 2_000))
    feed = ReplayFeed(path, speed=0, repeat=True, followers={}, clock=lambda: float(next(stamps)))
    got: list[Tick] = []
    async for tick in feed:
        got.append(tick)
        if len(got) == 12:
            break
    assert [t.ts for t in got] == [float(x) for x in range(1_000, 1_012)]
    assert [t.price for t in got[:8]] == [100, 99, 101, 100.5, 100.5, 100.4, 102, 101]
    assert got[8].price == pytest.approx(101.0)  # the second pass starts where the first ended, not back at 100
    assert got[10].price == pytest.approx(101 * 101 / 100)

    original = [t async for t in ReplayFeed(path, speed=0, retime=False, followers={})]
    assert original == list(ReplayFeed(path, speed=0, followers={}).ticks())
    assert original[0] == Tick("SOL-PERP", 100.0, 60.0)
