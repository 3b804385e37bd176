"""Exact prices and sizes for the mango-v3-service, which truncates what it is sent.

The service converts with `new BN(x * 10**decimals)` (mango-client `uiToNativePriceQuantity`):
an IEEE double product, then truncation. 0.0157 BTC is 15699.999999999998 native units and
becomes 156 lots (0.0156). So values are rounded to the market's increment in `Decimal`, and the
float put on the wire is the smallest double at or above that value whose product with every
power of ten the service may use still truncates to the intended integer: what the service
executes is exactly what the ticket showed.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Literal

Mode = Literal["down", "up", "nearest"]
_MODES = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "nearest": ROUND_HALF_EVEN}
# Base decimals on Mango run to 9 (SOL); the quote's (USDC) are 6.
MANGO_MAX_DECIMALS = 9
QUOTE_DECIMALS = 6


def exact(value: float | str | Decimal) -> Decimal:
    """The decimal a float stands for as written (repr is the shortest text that reads back the same)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return Decimal(repr(value))
    return Decimal(str(value))


def to_increment(value: float | str | Decimal, increment: float | str | Decimal, mode: Mode = "down") -> Decimal:
    """`value` rounded to a whole number of `increment`s, in exact decimal arithmetic."""
    step = exact(increment)
    if step <= 0:
        raise ValueError(f"increment must be positive, got {increment!r}")
    steps = (exact(value) / step).quantize(Decimal(1), rounding=_MODES[mode])
    return (steps * step).normalize()


def places(value: Decimal) -> int:
    """Digits after the decimal point (0 for whole numbers)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def wire_float(value: Decimal, decimals: int | None = None) -> float:
    """The float to send for `value` so that floor(f * 10**d) == value * 10**d where the service uses d.

    `decimals`: the scale the service multiplies by (a perp's base decimals for sizes, USDC's 6 for
    prices); None covers every scale Mango uses (up to 9) at once. Raises ValueError if `value` has
    more decimals than that scale (it was not rounded to an increment) or no double fits.
    """
    if value < 0:
        raise ValueError(f"negative value {value}")
    digits = places(value)
    top = MANGO_MAX_DECIMALS if decimals is None else decimals
    if digits > top:
        raise ValueError(f"{value} has more than {top} decimals")
    scales = range(digits, top + 1) if decimals is None else (decimals,)
    # Only scales where the product is an exact double integer: the service's BN(number) refuses
    # anything from 2^53 up, so a larger product is not one it can be computing.
    targets = [(10**d, int(value * 10**d)) for d in scales if value * 10**d < 2**53]
    f = float(value)
    for _ in range(64):  # a few ulps at most; the bound only guards against a bug looping for ever
        if all(math.floor(f * scale) >= target for scale, target in targets):
            break
        f = math.nextafter(f, math.inf)
    else:
        raise ValueError(f"no double represents {value} for the service")
    if any(math.floor(f * scale) != target for scale, target in targets):
        raise ValueError(f"no double represents {value} for the service at every scale")
    return f


def service_units(sent: float, decimals: int) -> int:
    """What the service makes of `sent` at `decimals`: floor(sent * 10**decimals) in IEEE doubles."""
    return math.floor(sent * 10**decimals)
