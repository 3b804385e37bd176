"""Move a resting limit order to a new price (its line dragged on the chart): cancel, then re-place.

Venues here have no amend, so a move is two steps and the window says so before it is applied.
The cancel must be confirmed before anything new is sent: if its outcome is unknown (a lost
reply) or it did not happen (filled, already gone), nothing is placed — never two live orders.
The new order goes through TradingService.execute_trade like every order (risk checks, journal);
if it is refused, the old order stays cancelled and the result says exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grace_desktop.domain.models import Order
from grace_desktop.venues.base import VenueError


@dataclass(frozen=True, slots=True)
class OrderMove:
    ok: bool
    message: str
    new_order: Order | None = None


def describe_move(order: Order, price: float, price_text: str, old_text: str) -> str:
    req = order.request
    return (f"Move the {req.side.value} limit of {order.remaining:g} {req.market} from {old_text} to {price_text}: "
            "the resting order is cancelled first, then a new one is placed (if the new one is refused, "
            "no order is left)")


async def move_order(trading: Any, venue_name: str, order: Order, price: float) -> OrderMove:
    if not price > 0:
        return OrderMove(False, "the price must be a positive number")
    req = order.request
    venue = trading.selector.venues.get(venue_name)
    if venue is None:
        return OrderMove(False, f"venue {venue_name} is not connected; nothing changed")
    try:
        cancelled = await venue.cancel_order(req.account, order.client_id)
    except VenueError as exc:
        return OrderMove(False, f"the cancel's outcome is not known ({exc}); no new order was sent")
    if not cancelled:
        return OrderMove(False, "the order could not be cancelled (filled or no longer resting); no new order was sent")
    result = await trading.execute_trade(req.side.value, order.remaining, req.market, req.account,
                                         leverage=req.leverage, order_type="limit", price=price, venue=venue_name,
                                         reduce_only=req.reduce_only)
    if not result.success:
        return OrderMove(False, f"the old order is cancelled, but the new one was refused: {result.message}")
    return OrderMove(True, f"moved: {result.message}", result.order)
