"""Perpetual funding: the premium-based daily rate and what a position pays for a stretch of time.

Mango V3's rule (MANGO_V3_API.md §2.4): daily rate = clamp(perp price / index − 1, ±5 %);
longs pay shorts when the rate is positive, and the payment accrues continuously on the
index price: size · index · rate · elapsed / 86 400.
"""

from __future__ import annotations

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import Side

MAX_DAILY_RATE = 0.05
SECONDS_PER_DAY = 86_400.0


def premium_rate(perp_price: float, index_price: float, cap: float = MAX_DAILY_RATE) -> float:
    """Daily funding rate from the perp's premium over its index, clamped to ±cap."""
    perp = v.positive("perp_price", perp_price)
    index = v.positive("index_price", index_price)
    cap = v.non_negative("cap", cap)
    return max(-cap, min(cap, perp / index - 1.0))


def funding_payment(side: Side | str, size: float, index_price: float, daily_rate: float, elapsed_s: float) -> float:
    """What the position pays for `elapsed_s` seconds at `daily_rate` (negative: it receives)."""
    side = Side.parse(side)
    size = v.non_negative("size", size)
    index = v.positive("index_price", index_price)
    rate = v.finite("daily_rate", daily_rate)
    elapsed = v.non_negative("elapsed_s", elapsed_s)
    return side.sign * size * index * rate * elapsed / SECONDS_PER_DAY
