"""Regenerate the sample candles shipped in resources/candles/ (deterministic: same seed, same files).

    python packaging/make_sample_candles.py [--days 2] [--seed 5] [--out resources/candles]

Prices come from the simulated feed's own process (grace_desktop.venues.feeds.PriceProcess),
stepped every 5 seconds and bucketed into 1-minute OHLCV; volume follows the regime, the
size of the move and a daily activity cycle, so the files look like a real venue's export.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grace_desktop.venues.feeds import PriceProcess, round_to_tick  # noqa: E402
from grace_desktop.venues.feeds.candles import Candle, write_candles  # noqa: E402
from grace_desktop.venues.paper.markets import DEFAULT_MARKETS, DEFAULT_START_PRICES  # noqa: E402

MARKETS = ("BTC-PERP", "ETH-PERP", "SOL-PERP")
BASE_VOLUME = {"BTC-PERP": 9.0, "ETH-PERP": 120.0, "SOL-PERP": 2_600.0}  # base units per minute, calm
START_TS = 1_717_372_800  # 2024-06-03 00:00:00 UTC
SUBSTEP_S = 5.0


def decimals(step: float) -> int:
    return max(0, -int(math.floor(math.log10(step) + 1e-9)))


def generate(days: float, seed: int) -> dict[str, list[Candle]]:
    process = PriceProcess({m: DEFAULT_START_PRICES[m] for m in MARKETS}, seed=seed)
    noise = random.Random(seed + 1)
    candles: dict[str, list[Candle]] = {m: [] for m in MARKETS}
    last = {m: DEFAULT_START_PRICES[m] for m in MARKETS}
    for minute in range(int(days * 1440)):
        ts = START_TS + 60 * minute
        paths: dict[str, list[float]] = {m: [last[m]] for m in MARKETS}
        for _ in range(int(60 / SUBSTEP_S)):
            for market, price in process.step(SUBSTEP_S).items():
                paths[market].append(round_to_tick(price, DEFAULT_MARKETS[market].tick_size))
        hour = (ts % 86_400) / 3600
        activity = 1.0 + 0.45 * math.sin((hour - 9.0) / 24 * 2 * math.pi)  # busiest in US/EU overlap
        for market, path in paths.items():
            move = abs(math.log(path[-1] / path[0]))
            regime = 2.2 if process.volatile else 1.0
            volume = BASE_VOLUME[market] * activity * regime * (1 + 250 * move) * noise.lognormvariate(0, 0.45)
            lot = DEFAULT_MARKETS[market].lot_size
            volume = round(round(volume / lot) * lot, decimals(lot))
            candles[market].append(Candle(ts, market, path[0], max(path), min(path), path[-1], volume))
            last[market] = path[-1]
    return candles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "candles")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for market, rows in generate(args.days, args.seed).items():
        spec = DEFAULT_MARKETS[market]
        path = args.out / f"{market}_1m.csv"
        n = write_candles(path, rows, price_decimals=decimals(spec.tick_size), volume_decimals=decimals(spec.lot_size))
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {n} candles, "
              f"{rows[0].open:g} -> {rows[-1].close:g}, {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
