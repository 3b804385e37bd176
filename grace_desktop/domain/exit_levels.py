"""Moving a position's exit level (dragged on the chart): is the new level allowed, what it means.

Pure: the chart shows `LevelChange.summary()` before anything is applied, and the service
refuses with the same `reason`, so the window and the service can never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from grace_desktop.domain.enums import Side
from grace_desktop.domain.models import Position

MOVABLE_EXITS = ("take_profit", "stop_loss", "trailing_stop")
NAMES = {"take_profit": "take-profit", "stop_loss": "stop-loss", "trailing_stop": "trailing stop"}


@dataclass(frozen=True, slots=True)
class LevelChange:
    kind: str
    price: float
    pnl: float  # the position's unrealized PnL if it closed at `price`
    reason: str = ""  # non-empty: refused
    trailing_percent: float | None = None  # for a trailing stop: the distance it will keep from the mark

    @property
    def allowed(self) -> bool:
        return not self.reason

    def summary(self, price_text: str) -> str:
        name = NAMES.get(self.kind, self.kind)
        if not self.allowed:
            return f"Cannot move the {name} to {price_text}: {self.reason}"
        what = "gain" if self.pnl >= 0 else "loss"
        text = f"Move the {name} to {price_text}: {what} of {abs(self.pnl):,.2f} if it fires there"
        if self.trailing_percent is not None:
            text += f" (trails {self.trailing_percent:.2f} % behind the best price from now)"
        return text


def check_level(position: Position, kind: str, price: float, mark: float, liquidation: float | None) -> LevelChange:
    """What moving `kind` to `price` does, or why it is refused.

    Refused: a level past the liquidation price (the venue would liquidate first, so the stop
    would never act), a level on the wrong side of the mark (it would fire at once), a bad number.
    """
    if kind not in MOVABLE_EXITS:
        return LevelChange(kind, price, 0.0, f"{kind} is not a level that can be moved")
    if not (math.isfinite(price) and price > 0):
        return LevelChange(kind, price, 0.0, "the price must be a positive number")
    pnl = position.unrealized_pnl(price)
    long = position.side is Side.LONG
    if liquidation is not None and liquidation > 0 and (price <= liquidation if long else price >= liquidation):
        return LevelChange(kind, price, pnl, f"past the liquidation price {liquidation:,.6g}; the position "
                                             "would be liquidated before it fires")
    profit_side = price > mark if long else price < mark
    if kind == "take_profit" and not profit_side:
        return LevelChange(kind, price, pnl, f"a take-profit {'at or below' if long else 'at or above'} the mark "
                                             f"{mark:,.6g} would close the position at once")
    if kind in ("stop_loss", "trailing_stop") and (profit_side or price == mark):
        return LevelChange(kind, price, pnl, f"a stop {'at or above' if long else 'at or below'} the mark "
                                             f"{mark:,.6g} would close the position at once")
    trailing = abs(mark - price) / mark * 100 if kind == "trailing_stop" else None
    if trailing is not None and trailing >= 100:
        return LevelChange(kind, price, pnl, "a trailing distance must be below 100 %")
    return LevelChange(kind, price, pnl, trailing_percent=trailing)
