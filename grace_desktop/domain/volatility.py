"""Realized volatility (EWMA of log returns) and the leverage cap it implies."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from grace_desktop.domain import validation as v
from grace_desktop.domain.errors import DomainError

SECONDS_PER_DAY = 86_400.0
DAYS_PER_YEAR = 365.0  # crypto trades every day


class EwmaVolatility:
    """Exponentially weighted variance of log returns, normalised per second of elapsed time.

    Normalising by the time between ticks makes the estimate independent of the tick rate,
    so the per-day figure means the same for a 10 Hz feed and a 1-minute candle replay.
    `halflife` is in seconds of market time.
    """

    __slots__ = ("halflife", "_var_per_s", "_last_price", "_last_ts", "samples")

    def __init__(self, halflife: float = 3600.0) -> None:
        self.halflife = v.positive("halflife", halflife)
        self._var_per_s: float | None = None
        self._last_price: float | None = None
        self._last_ts: float | None = None
        self.samples = 0

    def update(self, price: float, ts: float) -> None:
        price = v.positive("price", price)
        if self._last_price is not None and self._last_ts is not None:
            dt = ts - self._last_ts
            if dt <= 0:
                # Same-timestamp ticks carry no elapsed time; keep the latest price only.
                self._last_price = price
                return
            r = math.log(price / self._last_price)
            sample = r * r / dt
            weight = 1.0 - 0.5 ** (dt / self.halflife)
            self._var_per_s = sample if self._var_per_s is None else self._var_per_s + weight * (sample - self._var_per_s)
            self.samples += 1
        self._last_price = price
        self._last_ts = ts

    @property
    def ready(self) -> bool:
        return self._var_per_s is not None

    @property
    def daily(self) -> float:
        """Volatility over one day, as a fraction (0.05 = 5 %)."""
        return math.sqrt((self._var_per_s or 0.0) * SECONDS_PER_DAY)

    @property
    def annualized(self) -> float:
        return self.daily * math.sqrt(DAYS_PER_YEAR)


def realized_volatility(prices: Sequence[float], timestamps: Sequence[float], halflife: float = 3600.0) -> EwmaVolatility:
    if len(prices) != len(timestamps):
        raise DomainError("timestamps", "needs one timestamp per price")
    est = EwmaVolatility(halflife)
    for price, ts in zip(prices, timestamps):
        est.update(price, ts)
    return est


@dataclass(frozen=True, slots=True)
class VolatilityTier:
    """From `daily_vol` upward (inclusive), leverage is capped at `max_leverage`."""

    daily_vol: float
    max_leverage: float

    def __post_init__(self) -> None:
        v.positive("daily_vol", self.daily_vol)
        v.leverage("max_leverage", self.max_leverage)


@dataclass(frozen=True, slots=True)
class VolatilityCap:
    max_leverage: float
    daily_vol: float
    threshold: float

    @property
    def reason(self) -> str:
        return (
            f"volatility cap: daily volatility {self.daily_vol:.2%} ≥ {self.threshold:.2%} "
            f"limits leverage to {self.max_leverage:g}x"
        )


DEFAULT_TIERS: tuple[VolatilityTier, ...] = (
    VolatilityTier(0.05, 10.0),
    VolatilityTier(0.08, 5.0),
    VolatilityTier(0.15, 2.0),
)


def leverage_cap(daily_vol: float, tiers: Iterable[VolatilityTier] = DEFAULT_TIERS) -> VolatilityCap | None:
    """The tightest cap whose threshold `daily_vol` reaches, or None when volatility is calm."""
    vol = v.non_negative("daily_vol", daily_vol)
    cap: VolatilityCap | None = None
    for tier in tiers:
        if vol >= tier.daily_vol and (cap is None or tier.max_leverage < cap.max_leverage):
            cap = VolatilityCap(tier.max_leverage, vol, tier.daily_vol)
    return cap
