"""What the mango-v3-service executes after its own float truncation equals what the ticket showed.

The service computes `floor(x * 10**dec)` in IEEE doubles (mango-client's `new BN(x * 10**dec)`),
then divides by the lot in integers; we round in Decimal and send `wire_float`. Emulated here
exactly as the service does it, for random increments and sizes, 0.0157 included.
"""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from grace_desktop.venues.mango_v3.rounding import exact, service_units, to_increment, wire_float


def service_lots(sent: float, decimals: int, lot_native: int) -> int:
    """The lots the service books for `sent`: BN truncation of the double product, then integer division."""
    return math.floor(sent * 10**decimals) // lot_native


@st.composite
def market_and_size(draw: st.DrawFn) -> tuple[int, int, float]:
    decimals = draw(st.integers(min_value=0, max_value=9))
    lot_native = draw(st.sampled_from([1, 2, 5, 10, 25, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000]))
    lot_native = min(lot_native, 10**decimals) if decimals else 1
    lots = draw(st.integers(min_value=1, max_value=10**7))
    return decimals, lot_native, lots


def test_0_0157_btc_is_157_lots_not_156() -> None:
    # BTC-PERP: 6 base decimals, 100 native units per lot (0.0001 BTC).
    assert service_lots(0.0157, 6, 100) == 156  # what the naive float send would book
    shown = to_increment(0.0157, 0.0001)
    assert shown == Decimal("0.0157")
    assert service_lots(wire_float(shown, 6), 6, 100) == 157
    assert service_lots(wire_float(shown), 6, 100) == 157  # decimals unknown: every scale up to 9 at once
    assert service_units(wire_float(Decimal("100.01"), 6), 6) == 100_010_000  # a price, at USDC's 6


@settings(max_examples=400, deadline=None)
@given(market_and_size())
@example((6, 100, 157))  # 0.0157 BTC
@example((6, 1, 15_700))  # 0.0157 at a 1e-6 increment
def test_what_the_service_books_is_what_was_shown(case: tuple[int, int, int]) -> None:
    decimals, lot_native, lots = case
    increment = Decimal(lot_native) / Decimal(10) ** decimals
    shown = (increment * lots).normalize()
    sent = wire_float(shown, decimals)
    assert service_lots(sent, decimals, lot_native) == lots
    assert service_units(sent, decimals) == int(shown * 10**decimals)
    assert exact(float(repr(sent))) == exact(sent)  # the JSON text reads back as the same double
    assert abs(Decimal(sent) - shown) < increment / 1000  # and it still displays as the shown value


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-6, max_value=1e7, allow_nan=False), st.sampled_from(
    ["0.0001", "0.001", "0.01", "0.1", "1", "0.0005", "0.25", "10"]), st.sampled_from(["down", "up", "nearest"]))
def test_rounding_lands_on_the_increment_on_the_promised_side(value: float, step: str, mode: str) -> None:
    increment = Decimal(step)
    rounded = to_increment(value, increment, mode)  # type: ignore[arg-type]
    assert rounded % increment == 0
    written = exact(value)
    assert abs(rounded - written) <= increment
    if mode == "down":
        assert rounded <= written
    elif mode == "up":
        assert rounded >= written
    else:
        assert abs(rounded - written) <= increment / 2


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=10**6))
def test_without_known_decimals_every_mango_scale_books_the_shown_value(digits: int, units: int) -> None:
    shown = (Decimal(units) / Decimal(10) ** digits).normalize()
    sent = wire_float(shown)
    for decimals in range(max(digits, 0), 10):
        assert service_units(sent, decimals) == int(shown * 10**decimals)
