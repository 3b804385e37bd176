"""SimulatedFeed: seeded geometric Brownian motion with calm/volatile regimes, correlated
shocks across markets, occasional jumps, prices rounded to the tick size. The same seed
always gives the same prices.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from decimal import Decimal

from grace_desktop.venues.base import Tick
from grace_desktop.venues.paper.markets import (
    DEFAULT_FOLLOWERS,
    DEFAULT_MARKETS,
    DEFAULT_START_PRICES,
    DEFAULT_VOLATILITY,
)

SECONDS_PER_YEAR = 365.0 * 86_400.0


class PriceProcess:
    """Log-price random walk: drift-free GBM, a two-state volatility regime and Poisson jumps.

    Every market shares one regime (crypto calms down and panics together) and a common
    shock factor with weight `correlation`. A follower market (e.g. SOL/USDC after
    SOL-PERP) is its leader times a small mean-reverting basis.
    """

    def __init__(
        self,
        start_prices: Mapping[str, float],
        *,
        seed: int = 0,
        volatility: Mapping[str, float] | None = None,
        correlation: float = 0.6,
        volatile_multiplier: float = 2.5,
        calm_duration_s: float = 2 * 3600.0,
        volatile_duration_s: float = 20 * 60.0,
        jumps_per_day: float = 3.0,
        jump_sd: float = 0.01,
        followers: Mapping[str, str] | None = None,
        basis_sd: float = 0.0005,
    ) -> None:
        for market, price in start_prices.items():
            if not (isinstance(price, (int, float)) and math.isfinite(price) and price > 0):
                raise ValueError(f"start price of {market}: must be a positive number, got {price!r}")
        if not 0 <= correlation < 1:
            raise ValueError(f"correlation: must be in [0, 1), got {correlation}")
        followers = dict(followers or {})
        for follower, leader in followers.items():
            if leader not in start_prices or follower not in start_prices:
                raise ValueError(f"followers: {follower} follows {leader}, but both need a start price")
        self.rng = random.Random(seed)
        self.followers = followers
        self.leaders = [m for m in start_prices if m not in followers]
        self.log_price = {m: math.log(p) for m, p in start_prices.items()}
        vols = dict(DEFAULT_VOLATILITY) | dict(volatility or {})
        self.sigma = {m: vols.get(m, 0.8) / math.sqrt(SECONDS_PER_YEAR) for m in start_prices}
        self.basis = {m: math.log(start_prices[m] / start_prices[leader]) for m, leader in followers.items()}
        self.correlation = correlation
        self.volatile_multiplier = volatile_multiplier
        self.durations = (calm_duration_s, volatile_duration_s)
        self.jumps_per_day = jumps_per_day
        self.jump_sd = jump_sd
        self.basis_sd = basis_sd
        self.volatile = False

    def step(self, dt: float) -> dict[str, float]:
        """Advance `dt` seconds; returns the new (unrounded) prices of every market."""
        rng = self.rng
        if rng.random() < 1.0 - math.exp(-dt / self.durations[self.volatile]):
            self.volatile = not self.volatile
        scale = self.volatile_multiplier if self.volatile else 1.0
        jump_p = 1.0 - math.exp(-self.jumps_per_day * scale * dt / 86_400.0)
        common = rng.gauss(0.0, 1.0)
        idio = math.sqrt(1.0 - self.correlation**2)
        for market in self.leaders:
            sigma = self.sigma[market] * scale
            z = self.correlation * common + idio * rng.gauss(0.0, 1.0)
            move = -0.5 * sigma * sigma * dt + sigma * math.sqrt(dt) * z
            if rng.random() < jump_p:
                move += rng.gauss(0.0, self.jump_sd)
            self.log_price[market] += move
        # Exact Ornstein-Uhlenbeck step (stable for any dt): the basis reverts within minutes.
        keep = math.exp(-dt / 300.0)
        noise = self.basis_sd * math.sqrt(1.0 - keep * keep)
        for market, leader in self.followers.items():
            b = self.basis[market] * keep + noise * rng.gauss(0.0, 1.0)
            self.basis[market] = b
            self.log_price[market] = self.log_price[leader] + b
        return {m: math.exp(lp) for m, lp in self.log_price.items()}


def round_to_tick(price: float, tick: float) -> float:
    """`price` on the tick grid, printed cleanly (46852.1, not 46852.100000000006)."""
    decimals = max(0, -Decimal(repr(tick)).normalize().as_tuple().exponent)  # type: ignore[operator]
    return max(tick, round(round(price / tick) * tick, decimals))


class SimulatedFeed:
    """Seeded simulated prices. Each round emits one tick per market, `tick_rate_hz` rounds a second.

    `speed` is simulated seconds per wall second (1 = real time; 60 = a minute of market
    moves per second). Tick timestamps are simulated time from `start_ts` (default: the
    wall clock when iteration starts). `realtime=False` emits as fast as the consumer takes.
    """

    def __init__(
        self,
        markets: Mapping[str, float] | None = None,
        *,
        seed: int = 0,
        tick_rate_hz: float = 4.0,
        speed: float = 1.0,
        tick_sizes: Mapping[str, float] | None = None,
        start_ts: float | None = None,
        realtime: bool = True,
        max_ticks: int | None = None,
        followers: Mapping[str, str] | None = None,
        **process: float,
    ) -> None:
        if not (tick_rate_hz > 0 and math.isfinite(tick_rate_hz)):
            raise ValueError(f"tick_rate_hz: must be a positive number, got {tick_rate_hz!r}")
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError(f"speed: must be a positive number, got {speed!r}")
        self.start_prices = dict(DEFAULT_START_PRICES if markets is None else markets)
        if not self.start_prices:
            raise ValueError("markets: give at least one market with its start price")
        known = {name: spec.tick_size for name, spec in DEFAULT_MARKETS.items()}
        self.tick_sizes = {m: (tick_sizes or {}).get(m, known.get(m, 1e-8)) for m in self.start_prices}
        if followers is None:
            followers = {
                f: lead for f, lead in DEFAULT_FOLLOWERS.items() if f in self.start_prices and lead in self.start_prices
            }
        self.followers = followers
        self.seed = seed
        self.tick_rate_hz = tick_rate_hz
        self.speed = speed
        self.start_ts = start_ts
        self.realtime = realtime
        self.max_ticks = max_ticks
        self.process_options = process
        PriceProcess(self.start_prices, seed=seed, followers=followers, **process)  # validate now, not mid-stream

    def generate(self, start_ts: float = 0.0) -> Iterator[Tick]:
        """The feed's ticks without pacing (deterministic for the seed); infinite unless max_ticks."""
        process = PriceProcess(self.start_prices, seed=self.seed, followers=self.followers, **self.process_options)
        dt = self.speed / self.tick_rate_hz
        emitted = 0
        rounds = 0
        while True:
            rounds += 1
            ts = start_ts + rounds * dt
            for market, price in process.step(dt).items():
                if self.max_ticks is not None and emitted >= self.max_ticks:
                    return
                yield Tick(market, round_to_tick(price, self.tick_sizes[market]), ts)
                emitted += 1

    def take(self, n: int, start_ts: float = 0.0) -> list[Tick]:
        out = []
        for tick in self.generate(start_ts):
            if len(out) >= n:
                break
            out.append(tick)
        return out

    def __aiter__(self) -> AsyncIterator[Tick]:
        return self._run()

    async def _run(self) -> AsyncIterator[Tick]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        per_round = len(self.start_prices)
        start_ts = time.time() if self.start_ts is None else self.start_ts
        for i, tick in enumerate(self.generate(start_ts)):
            if i % per_round == 0 and i:
                if self.realtime:
                    delay = start + (i // per_round) / self.tick_rate_hz - loop.time()
                    await asyncio.sleep(max(0.0, delay))  # deadline pacing: no drift
                else:
                    await asyncio.sleep(0)
            yield tick
