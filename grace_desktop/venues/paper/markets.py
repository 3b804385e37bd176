"""The paper venue's default markets and the prices its simulated feed starts from.

Perps copy Mango V3's on-chain parameters (MANGO_V3_API.md §2.2, March 2022 snapshot):
init 20x / maint 40x, liquidation fee 1.25 %, taker 4 bps, maker −3 bps, and Mango's
contract (lot) and tick sizes. Spot markets trade at 1x with OpenBook-like tick/lot sizes.
"""

from __future__ import annotations

from grace_desktop.domain.enums import MarketKind
from grace_desktop.domain.models import MarketSpec

_PERP = dict(
    kind=MarketKind.PERP,
    quote="USDC",
    init_margin=0.05,
    maint_margin=0.025,
    max_leverage=20.0,
    taker_fee=0.0004,
    maker_fee=-0.0003,
    liquidation_fee=0.0125,
)
_SPOT = dict(kind=MarketKind.SPOT, quote="USDC", max_leverage=1.0, taker_fee=0.0004, maker_fee=0.0)

DEFAULT_MARKETS: dict[str, MarketSpec] = {
    spec.name: spec
    for spec in (
        MarketSpec("BTC-PERP", base="BTC", tick_size=0.1, lot_size=0.0001, **_PERP),
        MarketSpec("ETH-PERP", base="ETH", tick_size=0.1, lot_size=0.001, **_PERP),
        MarketSpec("SOL-PERP", base="SOL", tick_size=0.01, lot_size=0.01, **_PERP),
        MarketSpec("SOL/USDC", base="SOL", tick_size=0.01, lot_size=0.01, **_SPOT),
        MarketSpec("JUP/USDC", base="JUP", tick_size=0.0001, lot_size=0.1, **_SPOT),
        MarketSpec("BONK/USDC", base="BONK", tick_size=1e-9, lot_size=1000.0, **_SPOT),
    )
}

# Plausible mid-2024 levels; only the simulated feed uses them.
DEFAULT_START_PRICES: dict[str, float] = {
    "BTC-PERP": 67_000.0,
    "ETH-PERP": 3_500.0,
    "SOL-PERP": 150.0,
    "SOL/USDC": 150.0,
    "JUP/USDC": 0.95,
    "BONK/USDC": 0.000025,
}

# Annualized volatility in the calm regime (the volatile regime multiplies it).
DEFAULT_VOLATILITY: dict[str, float] = {
    "BTC-PERP": 0.55,
    "ETH-PERP": 0.70,
    "SOL-PERP": 0.95,
    "SOL/USDC": 0.95,
    "JUP/USDC": 1.20,
    "BONK/USDC": 1.60,
}

# Spot legs that track a perp (spot and perp of one coin never drift far apart).
DEFAULT_FOLLOWERS: dict[str, str] = {"SOL/USDC": "SOL-PERP"}


def default_markets() -> dict[str, MarketSpec]:
    return dict(DEFAULT_MARKETS)
