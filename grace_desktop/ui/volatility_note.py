"""The ticket's volatility note: the estimate, how much market time it rests on, and whether the cap uses it."""

from __future__ import annotations

from typing import Any

from grace_desktop.domain.volatility import VolatilityEstimate


def volatility_note(backend: Any, market: str) -> str:
    """" · volatility 4.20 %/day (last 15 min, caps leverage)", or why it does not cap yet; "" without data."""
    estimate = getattr(backend, "volatility", None)
    if estimate is None or not market:
        return ""
    est: VolatilityEstimate = estimate(market)
    if est.daily is None:
        return " · volatility: no data yet"
    span = est.covered_s / 60.0
    span_text = f"{span:.0f} min" if span >= 1 else f"{est.covered_s:.0f} s"
    if est.trusted:
        return f" · volatility {est.daily:.2%}/day (over {span_text}; the cap applies)"
    return f" · volatility {est.daily:.2%}/day (only {span_text} of prices: not trusted, no cap yet)"
