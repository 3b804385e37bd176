"""Per-tick cost of TriggerBook.on_tick with 1,000 vs 100,000 armed triggers across 20 markets.

A tick should cost O(log n + fired), so 100x more armed triggers should cost far less than
100x more per tick. Each market random-walks around 100; triggers rest at 50..150, and every
fired trigger is re-armed on the far side of the price so the armed count stays constant.
Run: .venv/bin/python tests/benchmarks/bench_trigger_book.py
"""

from __future__ import annotations

import random
import time

from grace_desktop.domain.conditions import Direction
from grace_desktop.domain.trigger_book import TriggerBook

MARKETS = [f"MKT{i:02d}-PERP" for i in range(20)]
TICKS = 200_000


def build(n: int, rng: random.Random) -> TriggerBook:
    book = TriggerBook()
    for key in range(n):
        market = MARKETS[key % len(MARKETS)]
        if rng.random() < 0.5:
            book.arm(key, market, rng.uniform(50.0, 99.9), Direction.AT_OR_BELOW)
        else:
            book.arm(key, market, rng.uniform(100.1, 150.0), Direction.AT_OR_ABOVE)
    return book


def run(n: int, seed: int = 1) -> tuple[float, float, float, int]:
    """(seconds per on_tick, per quiet on_tick, ticks/s including re-arms, triggers fired)."""
    rng = random.Random(seed)
    book = build(n, rng)
    ticks = [(rng.choice(MARKETS), rng.gauss(0.0, 0.002)) for _ in range(TICKS)]
    price = dict.fromkeys(MARKETS, 100.0)
    in_tick = quiet_time = 0.0
    quiet = fired_total = 0
    clock = time.perf_counter
    start = clock()
    for market, step in ticks:
        p = price[market] = min(149.0, max(51.0, price[market] * (1.0 + step)))
        t0 = clock()
        fired = book.on_tick(market, p)
        elapsed = clock() - t0
        in_tick += elapsed
        if not fired:
            quiet += 1
            quiet_time += elapsed
        fired_total += len(fired)
        for key in fired:  # keep n constant: re-arm away from the price
            if rng.random() < 0.5:
                book.arm(key, market, p * rng.uniform(0.5, 0.999), Direction.AT_OR_BELOW)
            else:
                book.arm(key, market, p * rng.uniform(1.001, 1.5), Direction.AT_OR_ABOVE)
    total = clock() - start
    assert len(book) == n
    return in_tick / TICKS, quiet_time / max(1, quiet), TICKS / total, fired_total


def main() -> None:
    results = {}
    for n in (1_000, 100_000):
        per_tick, per_quiet, rate, fired = run(n)
        results[n] = per_tick
        print(f"{n:>7,} armed over {len(MARKETS)} markets: on_tick {per_tick * 1e6:6.2f} µs/tick "
              f"({per_quiet * 1e6:.2f} µs when nothing fires), "
              f"{1 / per_tick:12,.0f} on_tick/s, {rate:10,.0f} ticks/s with re-arms, {fired:,} fired in {TICKS:,} ticks")
    print(f"per-tick cost ratio 100,000 / 1,000 armed: {results[100_000] / results[1_000]:.2f}x (armed ratio 100x)")


if __name__ == "__main__":
    main()
