"""OHLCV candle files: the CSV format shipped in resources/candles/, read with row-level checks.

Columns (header row required, order free, extra columns ignored):
timestamp (candle open, unix seconds UTC), market, open, high, low, close, volume (base units).
Rows are in time order; within one market timestamps strictly increase. A malformed row
raises CandleFileError naming the file and line.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grace_desktop.paths import resources_dir
from grace_desktop.venues.base import Tick

CANDLE_COLUMNS = ("timestamp", "market", "open", "high", "low", "close", "volume")


class CandleFileError(ValueError):
    def __init__(self, path: Path | str, line: int, message: str) -> None:
        self.path = Path(path)
        self.line = line
        super().__init__(f"{path}, line {line}: {message}")


@dataclass(frozen=True, slots=True)
class Candle:
    ts: float
    market: str
    open: float
    high: float
    low: float
    close: float
    volume: float

    def ticks(self, interval_s: float = 60.0) -> list[Tick]:
        """Open, then the extreme the candle probably hit first, the other extreme, then close.

        A rising candle usually dips before it runs up (open, low, high, close); a falling one
        pokes up first (open, high, low, close). Spaced a quarter of the interval apart.
        """
        first, second = (self.low, self.high) if self.close >= self.open else (self.high, self.low)
        step = interval_s / 4
        prices = (self.open, first, second, self.close)
        return [Tick(self.market, price, self.ts + i * step) for i, price in enumerate(prices)]


def default_candles_dir() -> Path:
    """resources/candles/ of a source checkout or of a bundle that keeps the same layout."""
    return resources_dir() / "candles"


def candle_files(path: Path | str | Iterable[Path | str] | None = None) -> list[Path]:
    """The CSV files under `path` (a file, a folder of *.csv, or several); the shipped sample by default."""
    if path is None:
        path = default_candles_dir()
    paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.glob("*.csv"))
            if not found:
                raise FileNotFoundError(f"no candle files (*.csv) in {p}")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"candle file not found: {p}")
    return files


def read_candles(path: Path | str) -> Iterator[Candle]:
    """Stream the candles of one CSV file, checking every row."""
    path = Path(path)
    last_ts: dict[str, float] = {}
    previous = -math.inf
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise CandleFileError(path, 1, "the file is empty; expected a header row " + ",".join(CANDLE_COLUMNS))
        names = [h.strip().lower() for h in header]
        missing = [c for c in CANDLE_COLUMNS if c not in names]
        if missing:
            raise CandleFileError(path, 1, f"header lacks column(s) {', '.join(missing)}; expected {','.join(CANDLE_COLUMNS)}")
        index = {c: names.index(c) for c in CANDLE_COLUMNS}
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < len(names):
                raise CandleFileError(path, line, f"expected {len(names)} columns, found {len(row)}")
            candle = _parse_row(path, line, row, index)
            if candle.ts < previous:
                raise CandleFileError(path, line, f"timestamp {candle.ts:g} goes back in time (previous row {previous:g})")
            if candle.ts <= last_ts.get(candle.market, -math.inf):
                raise CandleFileError(path, line, f"duplicate {candle.market} candle at timestamp {candle.ts:g}")
            previous = last_ts[candle.market] = candle.ts
            yield candle


def _parse_row(path: Path, line: int, row: list[str], index: dict[str, int]) -> Candle:
    def number(column: str, *, positive: bool) -> float:
        text = row[index[column]].strip()
        try:
            value = float(text)
        except ValueError:
            raise CandleFileError(path, line, f"column {column!r} is not a number: {text!r}") from None
        if not math.isfinite(value) or (value <= 0 if positive else value < 0):
            bound = "> 0" if positive else ">= 0"
            raise CandleFileError(path, line, f"column {column!r} must be a finite number {bound}, got {text!r}")
        return value

    ts = number("timestamp", positive=False)
    market = row[index["market"]].strip()
    if not market:
        raise CandleFileError(path, line, "column 'market' is empty")
    o, h, low, c = (number(col, positive=True) for col in ("open", "high", "low", "close"))
    volume = number("volume", positive=False)
    if h < max(o, c, low) or low > min(o, c, h):
        raise CandleFileError(path, line, f"high {h:g} / low {low:g} do not bracket open {o:g} and close {c:g}")
    return Candle(ts, market, o, h, low, c, volume)


def write_candles(path: Path | str, candles: Iterable[Candle], *, price_decimals: int = 8, volume_decimals: int = 4) -> int:
    """Write candles as CSV (the format read_candles reads); returns the row count."""
    count = 0
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CANDLE_COLUMNS)
        for c in candles:
            prices = [f"{p:.{price_decimals}f}" for p in (c.open, c.high, c.low, c.close)]
            writer.writerow([f"{c.ts:.0f}", c.market, *prices, f"{c.volume:.{volume_decimals}f}"])
            count += 1
    return count
