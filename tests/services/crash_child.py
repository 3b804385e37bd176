"""Child process for the crash test: places orders through TradingService until it is killed."""

from __future__ import annotations

import asyncio
import random
import sys

from grace_desktop.services.container import build_services
from grace_desktop.storage import open_storage


async def main(data_dir: str, seed: int) -> None:
    store = open_storage(data_dir)
    services = await build_services(store, "paper", feed=None, sweep_interval=3600)
    await services.paper.push_tick("SOL-PERP", 100.0)
    rng = random.Random(seed)
    print("ready", flush=True)
    while True:
        action = rng.choice(("buy", "sell"))
        size = rng.choice((0.1, 0.2, 0.5))
        result = await services.trading.execute_trade(action, size, "SOL-PERP", services.account, leverage=2.0)
        if not result.success:
            print("refused", result.message, flush=True)
        await services.paper.push_tick("SOL-PERP", round(100 + rng.uniform(-1, 1), 2))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
