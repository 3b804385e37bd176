"""Prices in a tick finer than anyone reads (a Solana token in USDC's 1e-6) show six significant
figures; coarser ticks keep all their digits, so paper and Mango prices read as before."""

from __future__ import annotations

import pytest

from grace_desktop.ui import formatting as fmt


@pytest.mark.parametrize(("value", "tick", "text"), [
    (100.864, 1e-6, "100.864"),
    (100.0, 1e-6, "100.000"),
    (64_012.5, 1e-6, "64,012.50"),  # never fewer than two decimals
    (0.412345678, 1e-6, "0.412346"),  # capped at the tick's own six digits
    (0.000023, 1e-6, "0.000023"),
    (100.864, 0.01, "100.86"),
    (1.23456, 0.0001, "1.2346"),  # a 1e-4 tick is read as it is
    (0.0, 1e-6, "0.000000"),
])
def test_price_text(value, tick, text):
    assert fmt.price(value, tick) == text
