"""Paper venue throughput: ticks/s on the hot path and order latency with a real SQLite file.

    .venv/bin/python tests/benchmarks/bench_paper_venue.py

Prints: ticks/s with nothing crossing (500 resting orders + 3 positions armed), ticks/s when
every tick fills a resting order (each fill is one SQLite transaction), and market-order
place latency p50/p99 against the database.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from grace_desktop.domain.models import OrderRequest  # noqa: E402
from grace_desktop.storage import open_storage  # noqa: E402
from grace_desktop.venues.paper import PaperVenue  # noqa: E402


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_storage(Path(tmp))
        venue = PaperVenue(store, starting_balance=10_000_000.0, slippage_bps=0.0)
        await venue.start()
        for market, price in (("BTC-PERP", 60_000.0), ("ETH-PERP", 3_000.0), ("SOL-PERP", 150.0)):
            await venue.push_tick(market, price)
            await venue.place_order(OrderRequest("bench", market, "buy", 1.0, leverage=10, client_id=f"pos-{market}"))
        for i in range(500):
            price = 50_000.0 - i
            await venue.place_order(OrderRequest("bench", "BTC-PERP", "buy", 0.001, "limit", price=price,
                                                 leverage=5, client_id=f"rest-{i}"))

        n = 50_000
        began = time.perf_counter()
        for i in range(n):
            await venue.push_tick("BTC-PERP", 60_000.0 + (i % 200) * 0.1)
        quiet = n / (time.perf_counter() - began)

        fills = 200
        began = time.perf_counter()
        for i in range(fills):  # each tick crosses exactly one more bid
            await venue.push_tick("BTC-PERP", 50_000.0 - i)
        filling = fills / (time.perf_counter() - began)

        latencies = []
        for i in range(300):
            t0 = time.perf_counter()
            await venue.place_order(OrderRequest("bench", "SOL-PERP", "buy" if i % 2 else "sell", 0.1,
                                                 leverage=5, client_id=f"mkt-{i}"))
            latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        await venue.close()
        store.close()
    print(f"ticks/s, nothing crossing (500 resting orders, 3 positions): {quiet:,.0f}")
    print(f"ticks/s, every tick fills a resting order (1 SQLite commit each): {filling:,.0f}")
    print(f"market order latency with SQLite: p50 {statistics.median(latencies):.2f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
