"""Child process for the crash tests: trades like a user with auto-trading on until it is stopped.

    python crash_child.py DATA_DIR SEED [trade|lifetime] [KILL_AT]

`trade` (the crash loop): opens positions with TP/SL exits (some close to the price so they
fire), adds to them, flips them, closes them by hand, and pushes ticks that fire the stops,
on two markets. Prints "ready" once it trades, then never stops on its own.

`lifetime` (one position's exits and its close): opens a long with a TP and a SL, prints
"armed <client id>" once the monitor watches them, then "closing" and closes it (alternately
by hand and by a tick through the stop), then "closed" and waits.

SIGTERM stops the services cleanly, as `--headless` does; SIGKILL just ends the process.
With KILL_AT the child SIGKILLs itself as soon as it sees its KILL_AT-th venue event: the
venue has booked that change, the journal may or may not have it yet (a window a kill from
outside, at a random time, seldom hits).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from grace_desktop.services.container import Services, build_services
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage import open_storage

BASE = {"SOL-PERP": 100.0, "ETH-PERP": 3000.0}
LOT = {"SOL-PERP": 0.01, "ETH-PERP": 0.001}
SIZES = {"SOL-PERP": (0.1, 0.25, 0.5, 1.0), "ETH-PERP": (0.005, 0.01, 0.02, 0.05)}
LIFETIME_TP, LIFETIME_SL = 102.0, 98.0


ROOT = Path(__file__).resolve().parents[2]


def spawn(data_dir: Path, seed: int, mode: str, out: Path, kill_at: int | None = None) -> subprocess.Popen[bytes]:
    """Start this file as a child on `data_dir`; its output goes to `out` (a pipe could fill and block it)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    extra = [] if kill_at is None else [str(kill_at)]
    with open(out, "wb") as sink:
        return subprocess.Popen([sys.executable, __file__, str(data_dir), str(seed), mode, *extra],
                                stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


def wait_for_line(child: subprocess.Popen[bytes], out: Path, prefix: str, timeout: float = 120.0) -> str:
    """The child's first output line starting with `prefix`; generous: a loaded 2-core CI box is slow."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = out.read_text(errors="replace")
        for line in text[:text.rfind("\n") + 1].splitlines():  # whole lines only: a write may be half done
            if line.startswith(prefix):
                return line
        if child.poll() is not None:
            break
        time.sleep(0.002)
    child.kill()
    child.wait()
    raise AssertionError(f"child never printed {prefix!r}:\n{out.read_text(errors='replace')[-4000:]}")


def say(*words: object) -> None:
    print(*words, flush=True)


class Trader:
    """One user's session: the random choices of `seed`, prices kept within ±3 % of BASE."""

    def __init__(self, services: Services, seed: int) -> None:
        self.s = services
        self.rng = random.Random(seed)
        self.price = {m: round(p * self.rng.uniform(0.99, 1.01), 2) for m, p in BASE.items()}

    @property
    def account(self) -> str:
        return self.s.account

    async def held(self, market: str):
        positions = await self.s.paper.positions(self.account)
        return next((p for p in positions if p.market == market), None)

    def exits(self, side: str, price: float) -> TradeConditions | None:
        """TP/SL on the right side of the price, sometimes within a tick or two so they fire."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.15:
            return None
        if kind < 0.3:
            return TradeConditions(take_profit_percent=rng.choice((0.3, 1.0, 2.0)),
                                   stop_loss_percent=rng.choice((0.3, 1.0, 2.0)))
        if kind < 0.4:
            return TradeConditions(trailing_percent=rng.choice((0.5, 1.0)))
        up, down = price * (1 + rng.uniform(0.002, 0.02)), price * (1 - rng.uniform(0.002, 0.02))
        tp, sl = (up, down) if side == "buy" else (down, up)
        return TradeConditions(take_profit=round(tp, 2), stop_loss=round(sl, 2))

    async def trade(self, action: str, size: float, market: str, exits: TradeConditions | None) -> None:
        result = await self.s.trading.execute_trade(action, size, market, self.account,
                                                    leverage=self.rng.choice((1.0, 2.0)), conditions=exits)
        if not result.success:
            say("refused", result.message)

    async def tick(self, market: str) -> None:
        base, now = BASE[market], self.price[market]
        step = self.rng.gauss(0.0, 0.006) - 0.2 * (now / base - 1)  # mean-reverting: no runaway prices
        self.price[market] = round(min(base * 1.03, max(base * 0.97, now * (1 + step))), 2)
        await self.s.paper.push_tick(market, self.price[market])

    async def step(self) -> None:
        rng = self.rng
        market = rng.choice(tuple(BASE))
        price = self.price[market]
        held = await self.held(market)
        roll = rng.random()
        if roll < 0.30:  # open, or add on the same side, with exits
            side = rng.choice(("buy", "sell")) if held is None else ("buy" if held.side.value == "long" else "sell")
            await self.trade(side, rng.choice(SIZES[market]), market, self.exits(side, price))
        elif roll < 0.45 and held is not None:  # flip: past the position, exits for the new side
            side = "sell" if held.side.value == "long" else "buy"
            size = round(held.size + rng.choice(SIZES[market]), 6)
            await self.trade(side, size, market, self.exits(side, price))
        elif roll < 0.55 and held is not None:  # the user closes by hand, all or half
            result = await self.s.trading.close_position(self.account, market, rng.choice((1.0, 1.0, 0.5)))
            if not result.success:
                say("close refused", result.message)
        else:  # the market moves: some ticks fire stops, the monitor closes in the background
            for _ in range(rng.randint(1, 4)):
                await self.tick(market)
                await asyncio.sleep(0)
        await asyncio.sleep(rng.choice((0, 0, 0.001, 0.005)))


async def run_trader(services: Services, seed: int, kill_at: int | None) -> None:
    trader = Trader(services, seed)
    for market in BASE:
        await services.paper.push_tick(market, trader.price[market])
    say("ready")
    killer = asyncio.ensure_future(kill_on_event(services, kill_at)) if kill_at is not None else None
    try:
        while True:
            await trader.step()
    finally:
        if killer is not None:
            killer.cancel()


async def run_lifetime(services: Services, seed: int) -> None:
    """Open a long with exits, then close it while the parent stops this process."""
    account, market = services.account, "SOL-PERP"
    await services.paper.push_tick(market, 100.0)
    result = await services.trading.execute_trade(
        "buy", 1.0, market, account, leverage=2.0,
        conditions=TradeConditions(take_profit=LIFETIME_TP, stop_loss=LIFETIME_SL))
    assert result.success and result.order is not None, result.message
    for _ in range(12_000):  # up to a minute on a loaded machine
        watch = services.monitor.watched(account, market)
        if watch is not None and {"take_profit", "stop_loss"} <= set(watch.levels):
            break
        await asyncio.sleep(0.005)
    else:
        raise SystemExit("the exits were never armed")
    say("armed", result.order.client_id)
    say("closing")
    if seed % 2 == 0:
        await services.trading.close_position(account, market, reason="manual")
    else:  # through the stop: the monitor closes in a task of its own
        await services.paper.push_tick(market, LIFETIME_SL - 0.5)
        while await services.trading.find_position(account, market) is not None:
            await asyncio.sleep(0.001)
    say("closed")
    await asyncio.Event().wait()


async def kill_on_event(services: Services, kill_at: int) -> None:
    seen = 0
    async for _event in services.paper.events():
        seen += 1
        if seen >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


async def main(data_dir: str, seed: int, mode: str, kill_at: int | None) -> None:
    store = open_storage(data_dir)
    services = await build_services(store, "paper", feed=None, sweep_interval=3600, retry_delays=(0.05, 0.1))
    settings = services.trading.settings(services.account)
    if not settings.auto_trading_enabled:
        await services.trading.save_settings(services.account, settings.updated(auto_trading_enabled=True))
    work = asyncio.ensure_future(run_lifetime(services, seed) if mode == "lifetime" else
                                 run_trader(services, seed, kill_at))
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)  # as --headless does
    stop = asyncio.ensure_future(stopping.wait())
    await asyncio.wait((work, stop), return_when=asyncio.FIRST_COMPLETED)
    if work.done():
        work.result()  # a failure of the session itself is the test's to see
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)
    await services.stop()
    store.close()
    say("stopped")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "trade",
                     int(sys.argv[4]) if len(sys.argv) > 4 else None))
