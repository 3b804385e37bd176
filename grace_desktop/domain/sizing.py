"""Safe position size: the seed's rule, rounded down to the market's lot size."""

from __future__ import annotations

import math

from grace_desktop.domain import validation as v
from grace_desktop.domain.errors import SizingError

# Never size as if leverage were above this, whatever the slider says (the seed's 3x rule).
SAFE_EFFECTIVE_LEVERAGE = 3.0
# Keep a fifth of free collateral back for fees, slippage and adverse moves.
SAFETY_FACTOR = 0.8


def raw_safe_size(free_collateral: float, price: float, leverage: float) -> float:
    fc = v.finite("free_collateral", free_collateral)
    price = v.positive("price", price)
    lev = v.leverage("leverage", leverage)
    if fc <= 0:
        return 0.0
    return fc * lev * min(1.0, SAFE_EFFECTIVE_LEVERAGE / lev) / price * SAFETY_FACTOR


def round_down_to_lot(size: float, lot_size: float) -> float:
    lot = v.positive("lot_size", lot_size)
    steps = math.floor(size / lot + 1e-9)
    return round(steps * lot, 12)


def safe_position_size(free_collateral: float, price: float, leverage: float, lot_size: float) -> float:
    """free_collateral·L·min(1, 3/L)/price·0.8, rounded down to `lot_size`.

    Raises SizingError when the result rounds to zero: a zero-size order is never a valid answer.
    """
    raw = raw_safe_size(free_collateral, price, leverage)
    size = round_down_to_lot(raw, lot_size)
    if size <= 0:
        raise SizingError(
            "size",
            f"safe size rounds to zero: {free_collateral:g} free collateral at {leverage:g}x and price "
            f"{price:g} gives {raw:.6g}, below the lot size {lot_size:g}",
        )
    return size


def max_position_size(free_collateral: float, price: float, leverage: float, lot_size: float, fee_rate: float = 0.0) -> float:
    """Largest size whose initial margin plus opening fee fits in free collateral (0 if none)."""
    fc = v.finite("free_collateral", free_collateral)
    price = v.positive("price", price)
    lev = v.leverage("leverage", leverage)
    if fc <= 0:
        return 0.0
    per_unit = price / lev + price * max(0.0, fee_rate)
    return round_down_to_lot(fc / per_unit, lot_size)


def risk_position_size(equity: float, risk_percent: float, entry: float, stop: float, lot_size: float) -> float:
    """The size whose loss from `entry` to `stop` is `risk_percent` % of `equity`, rounded down to the lot.

    10,000 equity, 1 % risk, entry 100, stop 95: 100 at risk over 5 per unit = 20 units. Fees and
    slippage are not included (the caller caps by margin and the safe size). 0 when nothing fits.
    """
    eq = v.finite("equity", equity)
    pct = v.positive("risk_percent", risk_percent)
    if pct >= 100:
        raise SizingError("risk_percent", f"must be below 100 % of equity, got {pct:g}")
    entry = v.positive("entry", entry)
    stop = v.positive("stop", stop)
    distance = abs(entry - stop)
    if distance <= 0:
        raise SizingError("stop_loss", f"the stop {stop:g} is at the entry {entry:g}: no distance to size from")
    if eq <= 0:
        return 0.0
    return round_down_to_lot(eq * pct / 100.0 / distance, lot_size)


def capped_risk_size(risk_size: float, caps: dict[str, float], lot_size: float) -> tuple[float, str]:
    """`risk_size` lowered to the smallest cap (e.g. {"safe size": .., "margin": ..}) and which one bit ("" if none)."""
    size, why = risk_size, ""
    for name, cap in caps.items():
        if cap < size:
            size, why = cap, name
    return round_down_to_lot(max(0.0, size), lot_size), why
