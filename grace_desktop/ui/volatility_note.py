"""The ticket's volatility note: the estimate, how much market time it rests on, and whether the cap uses it."""

from __future__ import annotations

from typing import Any

from grace_desktop.domain.volatility import VolatilityEstimate


def volatility_note(backend: Any, market: str) -> str:
    """" · vol 4.20%/day over 15 min" (trusted: the volatility cap uses it), " · vol 4.20%/day, 3 min: no cap
    yet" (too little market time to cap leverage on), or "" without a backend. Short: it shares the mark's line."""
    estimate = getattr(backend, "volatility", None)
    if estimate is None or not market:
        return ""
    est: VolatilityEstimate = estimate(market)
    if est.daily is None:
        return " · vol: no data yet"
    span = est.covered_s / 60.0
    span_text = f"{span:.0f} min" if span >= 1 else f"{est.covered_s:.0f} s"
    if est.trusted:
        return f" · vol {est.daily:.2%}/day over {span_text}"
    return f" · vol {est.daily:.2%}/day, {span_text}: no cap yet"
