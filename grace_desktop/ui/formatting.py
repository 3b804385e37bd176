"""How numbers are written on screen. Tests format expected values with these same functions."""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache


@lru_cache(maxsize=256)
def decimals_for(step: float) -> int:
    """Digits after the point that show one `step` (tick or lot size): 0.01 -> 2, 0.5 -> 1, 1 -> 0."""
    if step <= 0 or not math.isfinite(step):
        return 2
    digits = 0
    while digits < 10 and abs(round(step, digits) - step) > step * 1e-6:
        digits += 1
    return digits


FINE_TICK_DIGITS = 4  # beyond this, a tick is finer than any trader reads (a spot token priced in USDC's 1e-6)
SIGNIFICANT = 6


def price_decimals(value: float, tick_size: float) -> int:
    """The tick's digits; for a tick finer than 1e-4, only as many as give six significant figures
    (SOL at 100.864 in USDC's 1e-6 ticks shows 100.864, not 100.864000), never more than the tick's."""
    digits = decimals_for(tick_size)
    if digits <= FINE_TICK_DIGITS or value == 0:
        return digits
    whole = math.floor(math.log10(abs(value))) + 1  # digits before the point (negative below 0.1)
    return max(2, min(digits, SIGNIFICANT - whole))


def price(value: float | None, tick_size: float = 0.01) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "never"
    return f"{value:,.{price_decimals(value, tick_size)}f}"


def liquidation(value: float | None, tick_size: float = 0.01) -> str:
    """A liquidation price; 0 is domain.margin's answer for a long that price alone cannot liquidate."""
    if value is not None and value <= 0:
        return "none"
    return price(value, tick_size)


def size(value: float | None, lot_size: float = 0.0001) -> str:
    if value is None:
        return "—"
    return f"{value:,.{decimals_for(lot_size)}f}"


def money(value: float | None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


def percent(value: float | None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞"
    return f"{value:+.2f} %" if signed else f"{value:.2f} %"


def leverage(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞"
    return f"{value:.2f}x"


def vol_multiple(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞ σ"
    return f"{value:.1f} σ/day"


def timestamp(ts: float | None) -> str:
    if not ts:
        return "—"
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")
