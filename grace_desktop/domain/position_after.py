"""The position an order would leave: size, average entry, leverage, liquidation price.

Computed with `positions.apply_fill`, the very accounting the paper venue books fills with,
so the ticket's "after" figures are the venue's figures: an add at another leverage blends
the collateral (and moves the liquidation price), a reduce keeps what remains at its own
liquidation price, a flip opens the remainder fresh at the order's leverage.
"""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderSide, Side
from grace_desktop.domain.models import MarketSpec, Position
from grace_desktop.domain.positions import apply_fill


@dataclass(frozen=True, slots=True)
class PositionAfter:
    kind: str  # "open" | "add" | "reduce" | "close" | "flip"
    position: Position | None  # None: flat after the order
    liquidation_price: float | None  # None when flat; 0 for a long price alone cannot liquidate
    closed_size: float = 0.0  # the part of the order that closed the existing position
    realized_pnl: float = 0.0  # price PnL of that part, before fees

    @property
    def side(self) -> Side | None:
        return self.position.side if self.position is not None else None

    @property
    def size(self) -> float:
        return self.position.size if self.position is not None else 0.0

    @property
    def signed_size(self) -> float:
        return self.position.side.sign * self.position.size if self.position is not None else 0.0


def position_after(
    position: Position | None, spec: MarketSpec, side: OrderSide | str, size: float, price: float,
    leverage: float, *, account: str = "",
) -> PositionAfter:
    """What a fill of `size` at `price` and `leverage` would leave of `position` (None: flat now)."""
    order_side = OrderSide.parse(side)
    outcome = apply_fill(
        position, spec=spec, account=account or (position.account if position else "preview"), side=order_side,
        size=size, price=price, fee=0.0, leverage=leverage if spec.is_perp else 1.0, ts=0.0, entry_fees=0.0,
        client_id="preview", reason="preview",
    )
    after = outcome.position
    closed = outcome.closed
    if position is None:
        kind = "open"
    elif order_side.position_side is position.side:
        kind = "add"
    elif after is None:
        kind = "close"
    elif after.side is position.side:
        kind = "reduce"
    else:
        kind = "flip"
    liq: float | None = None
    if after is not None:
        liq = margin.position_liquidation_price(after, spec.maint_margin) if spec.is_perp else 0.0
        if 0 < liq < after.entry_price * 1e-9:
            liq = 0.0  # a 1x long: collateral covers the whole entry; float dust is not a price
    return PositionAfter(kind, after, liq, closed.size if closed else 0.0, closed.realized_pnl if closed else 0.0)
