"""Mango V3 perp parameters the service does not serve: leverage weights, fees, liquidation fee.

Decoded from the mainnet.1 group account (~2022-03-04 snapshot; MANGO_V3_API.md §2.2). The
service's market list gives names, increments and quotes; these give the margin. A perp missing
here (GMT-PERP was listed after the snapshot) gets the most conservative row, so the app never
lets it trade with more leverage than Mango might allow.
"""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.domain.enums import MarketKind
from grace_desktop.domain.models import MarketSpec

MAKER_FEE = -0.0003
TAKER_FEE = 0.0004


@dataclass(frozen=True, slots=True)
class PerpParams:
    init_leverage: float
    maint_leverage: float
    liquidation_fee: float
    base_decimals: int
    maker_fee: float = MAKER_FEE
    taker_fee: float = TAKER_FEE

    @property
    def init_asset_weight(self) -> float:
        return 1 - 1 / self.init_leverage

    @property
    def maint_asset_weight(self) -> float:
        return 1 - 1 / self.maint_leverage


PERP_PARAMS: dict[str, PerpParams] = {
    "MNGO-PERP": PerpParams(4, 8, 0.0625, 6),
    "BTC-PERP": PerpParams(20, 40, 0.0125, 6),
    "ETH-PERP": PerpParams(20, 40, 0.0125, 6),
    "SOL-PERP": PerpParams(20, 40, 0.0125, 9),
    "SRM-PERP": PerpParams(8, 16, 0.03125, 6),
    "RAY-PERP": PerpParams(8, 16, 0.03125, 6),
    "FTT-PERP": PerpParams(10, 20, 0.025, 6),
    "ADA-PERP": PerpParams(10, 20, 0.025, 6),
    "BNB-PERP": PerpParams(10, 20, 0.025, 8),
    "AVAX-PERP": PerpParams(10, 20, 0.025, 8),
    "LUNA-PERP": PerpParams(10, 20, 0.025, 6),
}
CONSERVATIVE = PerpParams(4, 8, 0.0625, 6)


def params_for(market: str) -> tuple[PerpParams, bool]:
    """The market's parameters and whether they are known (False: the conservative stand-in)."""
    known = PERP_PARAMS.get(market)
    return (known, True) if known is not None else (CONSERVATIVE, False)


def perp_spec(name: str, base: str, price_increment: float, size_increment: float) -> MarketSpec:
    p, _ = params_for(name)
    return MarketSpec(
        name, MarketKind.PERP, base=base, quote="USDC", tick_size=price_increment, lot_size=size_increment,
        init_margin=1 / p.init_leverage, maint_margin=1 / p.maint_leverage, max_leverage=p.init_leverage,
        taker_fee=p.taker_fee, maker_fee=p.maker_fee, liquidation_fee=p.liquidation_fee,
    )
