"""Shared market specs and portfolios for the domain tests (Mango-V3-like parameters)."""

from __future__ import annotations

import pytest

from grace_desktop.domain.enums import MarketKind
from grace_desktop.domain.models import MarketSpec


@pytest.fixture
def btc_perp() -> MarketSpec:
    return MarketSpec(
        name="BTC-PERP",
        kind=MarketKind.PERP,
        base="BTC",
        quote="USDC",
        tick_size=0.5,
        lot_size=0.001,
        init_margin=0.05,
        maint_margin=0.025,
        max_leverage=20.0,
        taker_fee=0.0004,
        maker_fee=-0.0003,
        liquidation_fee=0.0125,
    )


@pytest.fixture
def sol_spot() -> MarketSpec:
    return MarketSpec(
        name="SOL/USDC", kind=MarketKind.SPOT, base="SOL", quote="USDC", tick_size=0.001, lot_size=0.01, taker_fee=0.001
    )


@pytest.fixture
def markets(btc_perp: MarketSpec, sol_spot: MarketSpec) -> dict[str, MarketSpec]:
    return {btc_perp.name: btc_perp, sol_spot.name: sol_spot}
