"""EWMA realized volatility (hand-computed figures, tick-rate independence) and leverage caps."""

from __future__ import annotations

import math
import random

import pytest

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.volatility import (
    DAYS_PER_YEAR,
    SECONDS_PER_DAY,
    EwmaVolatility,
    VolatilityTier,
    leverage_cap,
    realized_volatility,
)


def _alternating(n: int, step: float, dt: float, start: float = 100.0):
    """Prices whose log returns alternate +step, -step, one tick every `dt` seconds."""
    prices, times = [start], [0.0]
    for i in range(1, n):
        prices.append(prices[-1] * math.exp(step if i % 2 else -step))
        times.append(i * dt)
    return prices, times


def test_constant_price_has_zero_volatility():
    est = realized_volatility([100.0] * 1000, [float(i) for i in range(1000)])
    assert est.ready  # 999 s of market time ≥ a quarter of the one-hour half-life
    assert est.samples == 199  # one return per 5 s (MIN_INTERVAL_S)
    assert est.daily == 0.0
    assert est.annualized == 0.0


def test_not_ready_before_two_ticks():
    est = EwmaVolatility()
    assert not est.ready and est.daily == 0.0
    est.update(100, 0)
    assert not est.ready


def test_alternating_returns_hand_computed():
    # Every return is ±1 % a minute apart: r²/dt = 1e-4/60 per second whatever the weights.
    prices, times = _alternating(200, 0.01, 60.0)
    est = realized_volatility(prices, times, halflife=3600)
    daily = math.sqrt(1e-4 / 60 * 86_400)  # = 0.01·√1440 = 0.3794733...
    assert daily == pytest.approx(0.37947331922020555)
    assert est.daily == pytest.approx(daily, rel=1e-9)
    assert est.annualized == pytest.approx(daily * math.sqrt(365), rel=1e-9)
    assert est.annualized == pytest.approx(7.2498275841567, rel=1e-9)


def test_ewma_weights_by_elapsed_time_bias_corrected():
    x = 1e-4 / 60  # per-second variance of a 1 % return over a minute
    est = EwmaVolatility(halflife=60)
    est.update(100, 0)
    est.update(100 * math.exp(0.01), 60)  # m = x/2, Π decay = 1/2: corrected m/(1−1/2) = x
    assert est.daily == pytest.approx(math.sqrt(x * SECONDS_PER_DAY))
    est.update(100 * math.exp(0.01), 120)  # flat minute: m = x/4, Π decay = 1/4 → x/3
    assert est.daily == pytest.approx(math.sqrt(x / 3 * SECONDS_PER_DAY))
    est.update(100 * math.exp(0.01), 240)  # two half-lives: m = x/16, Π decay = 1/16 → x/15
    assert est.daily == pytest.approx(math.sqrt(x / 15 * SECONDS_PER_DAY))
    assert est.annualized == pytest.approx(est.daily * math.sqrt(DAYS_PER_YEAR))


def test_same_timestamp_is_not_a_return():
    est = EwmaVolatility(halflife=60)
    est.update(100, 0)
    est.update(150, 0)  # no elapsed time: not a return
    assert not est.has_data
    est.update(100, 60)  # the return spans from the first price kept (100)
    assert est.has_data and est.daily == 0.0
    assert est.ready  # 60 s of market time ≥ a quarter of the 60 s half-life



def test_tick_rate_independence_exact():
    # The same per-second variance sampled every second and every minute gives the same figure.
    sigma = 0.0005  # per √second
    # min_interval=0: every tick is a sample (an alternating path is not a random walk, so
    # subsampling it would change its variance).
    fast = realized_volatility(*_alternating(5000, sigma * math.sqrt(1), 1.0), min_interval=0)
    slow = realized_volatility(*_alternating(200, sigma * math.sqrt(60), 60.0), min_interval=0)
    assert fast.daily == pytest.approx(slow.daily, rel=1e-9)
    assert fast.daily == pytest.approx(sigma * math.sqrt(SECONDS_PER_DAY), rel=1e-9)


def test_tick_rate_independence_on_a_random_walk():
    # One seeded Brownian path seen at 1 s and subsampled at 30 s: the daily figures agree.
    rng = random.Random(7)
    sigma = 0.0003
    prices, times = [100.0], [0.0]
    for i in range(1, 4 * 3600):
        prices.append(prices[-1] * math.exp(rng.gauss(0.0, sigma)))
        times.append(float(i))
    fast = realized_volatility(prices, times, halflife=3600)
    slow = realized_volatility(prices[::30], times[::30], halflife=3600)
    expected = sigma * math.sqrt(SECONDS_PER_DAY)
    assert fast.daily == pytest.approx(expected, rel=0.1)
    assert slow.daily == pytest.approx(expected, rel=0.25)


def test_volatility_inputs_are_checked():
    with pytest.raises(DomainError) as err:
        realized_volatility([100, 101], [0])
    assert err.value.field == "timestamps"
    with pytest.raises(DomainError) as err:
        EwmaVolatility(halflife=0)
    assert err.value.field == "halflife"
    with pytest.raises(DomainError) as err:
        EwmaVolatility().update(-1, 0)
    assert err.value.field == "price"


@pytest.mark.parametrize(
    "daily_vol, expected",
    [(0.0, None), (0.049, None), (0.05, 10.0), (0.07, 10.0), (0.08, 5.0), (0.149, 5.0), (0.15, 2.0), (0.9, 2.0)],
)
def test_default_leverage_cap_tiers(daily_vol, expected):
    cap = leverage_cap(daily_vol)
    if expected is None:
        assert cap is None
    else:
        assert cap is not None and cap.max_leverage == expected
        assert cap.daily_vol == daily_vol
        assert f"{expected:g}x" in cap.reason


def test_custom_tiers_pick_the_tightest_reached_regardless_of_order():
    tiers = (VolatilityTier(0.2, 1.0), VolatilityTier(0.03, 8.0))
    assert leverage_cap(0.02, tiers) is None
    cap = leverage_cap(0.05, tiers)
    assert cap is not None and (cap.max_leverage, cap.threshold) == (8.0, 0.03)
    cap = leverage_cap(0.25, tiers)
    assert cap is not None and (cap.max_leverage, cap.threshold) == (1.0, 0.2)
    assert "20.00%" in cap.reason and "25.00%" in cap.reason


def test_tier_and_cap_inputs_are_checked():
    with pytest.raises(DomainError) as err:
        VolatilityTier(0.0, 5)
    assert err.value.field == "daily_vol"
    with pytest.raises(DomainError) as err:
        VolatilityTier(0.1, 0.5)
    assert err.value.field == "max_leverage"
    with pytest.raises(DomainError) as err:
        leverage_cap(-0.1)
    assert err.value.field == "daily_vol"
