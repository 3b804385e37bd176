"""Realized volatility (EWMA of log returns) and the leverage cap it implies."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from grace_desktop.domain import validation as v
from grace_desktop.domain.errors import DomainError

SECONDS_PER_DAY = 86_400.0
DAYS_PER_YEAR = 365.0  # crypto trades every day


# Trust an estimate once it covers this fraction of its half-life in market time: before that it
# rests on a handful of returns (the first tick used to decide the cap for the first hour).
TRUST_FRACTION = 0.25
# Returns are taken over at least this many seconds of market time: a 10 Hz feed's tick-to-tick
# returns are mostly rounding to the tick size, which would inflate the estimate.
MIN_INTERVAL_S = 5.0


class EwmaVolatility:
    """Exponentially weighted variance of log returns, normalised per second of market time.

    - Normalising each squared return by its elapsed time makes the estimate independent of
      the tick rate: the per-day figure means the same for a 10 Hz feed and a 1-minute replay.
    - Returns are sampled at least `min_interval` seconds apart; ticks in between are skipped
      and the next return spans from the last sample.
    - The average starts at zero and is bias-corrected (divided by 1 − Π decay), so no single
      early return seeds it, and it is `ready` (trusted) only once it covers `trust_fraction`
      of its half-life. `halflife` and every timestamp are market time, in seconds.
    """

    __slots__ = ("halflife", "min_interval", "trust_after", "_mean", "_decay", "_last_price", "_last_ts",
                 "_first_ts", "samples")

    def __init__(self, halflife: float = 3600.0, min_interval: float = MIN_INTERVAL_S,
                 trust_fraction: float = TRUST_FRACTION) -> None:
        self.halflife = v.positive("halflife", halflife)
        self.min_interval = v.non_negative("min_interval", min_interval)
        self.trust_after = self.halflife * v.non_negative("trust_fraction", trust_fraction)
        self._mean = 0.0
        self._decay = 1.0  # Π of every sample's decay: the weight the (absent) prior still has
        self._last_price: float | None = None
        self._last_ts: float | None = None
        self._first_ts: float | None = None
        self.samples = 0

    def update(self, price: float, ts: float) -> None:
        # Every tick passes here: the checks that raise run only for a value the cheap test refuses.
        if not (isinstance(price, float) and 0.0 < price < math.inf):
            price = v.positive("price", price)
        if not (isinstance(ts, float) and math.isfinite(ts)):
            ts = v.finite("ts", ts)
        if self._last_price is None or self._last_ts is None:
            self._last_price, self._last_ts, self._first_ts = price, ts, ts
            return
        dt = ts - self._last_ts
        if dt < max(self.min_interval, 1e-9):
            return  # too soon (or the same instant): the next sample's return spans from the last one
        r = math.log(price / self._last_price)
        decay = 0.5 ** (dt / self.halflife)
        self._mean = decay * self._mean + (1.0 - decay) * (r * r / dt)
        self._decay *= decay
        self.samples += 1
        self._last_price, self._last_ts = price, ts

    @property
    def covered(self) -> float:
        """Seconds of market time the samples span."""
        if self._first_ts is None or self._last_ts is None:
            return 0.0
        return self._last_ts - self._first_ts

    @property
    def last_ts(self) -> float | None:
        """Market time of the last sample (the estimate's age is measured from it)."""
        return self._last_ts if self.samples else None

    @property
    def has_data(self) -> bool:
        return self.samples > 0

    @property
    def ready(self) -> bool:
        """Trusted: it covers enough market time to decide a leverage cap."""
        return self.samples > 0 and self.covered >= self.trust_after

    @property
    def variance_per_s(self) -> float:
        if self.samples == 0 or self._decay >= 1.0:
            return 0.0
        return self._mean / (1.0 - self._decay)

    @property
    def daily(self) -> float:
        """Volatility over one day, as a fraction (0.05 = 5 %)."""
        return math.sqrt(self.variance_per_s * SECONDS_PER_DAY)

    @property
    def annualized(self) -> float:
        return self.daily * math.sqrt(DAYS_PER_YEAR)


@dataclass(frozen=True, slots=True)
class VolatilityEstimate:
    """What the ticket shows: the figure, whether it is trusted (so the cap applies), and its age."""

    daily: float | None
    trusted: bool
    covered_s: float
    last_ts: float | None

    def age(self, now: float) -> float | None:
        return None if self.last_ts is None else max(0.0, now - self.last_ts)


def estimate_of(est: EwmaVolatility | None) -> VolatilityEstimate:
    if est is None or not est.has_data:
        return VolatilityEstimate(None, False, 0.0 if est is None else est.covered, None)
    return VolatilityEstimate(est.daily, est.ready, est.covered, est.last_ts)


def realized_volatility(prices: Sequence[float], timestamps: Sequence[float], halflife: float = 3600.0,
                        min_interval: float = MIN_INTERVAL_S) -> EwmaVolatility:
    if len(prices) != len(timestamps):
        raise DomainError("timestamps", "needs one timestamp per price")
    est = EwmaVolatility(halflife, min_interval)
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
