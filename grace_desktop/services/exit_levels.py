"""Move one exit level of an open position (a TP, SL or trailing line dragged on the chart).

The same path the ticket's exits take for an existing position: checked by domain.exit_levels,
then handed to the monitor's `attach_exits`, which journals the new condition (replacing the
older one of its kind in one transaction) and re-plans the position's triggers.
"""

from __future__ import annotations

from typing import Any

from grace_desktop.domain import margin
from grace_desktop.domain.exit_levels import LevelChange, check_level
from grace_desktop.domain.models import Position
from grace_desktop.services.trade_types import TradeConditions


def preview_level(trading: Any, position: Position, kind: str, price: float, venue: str | None = None) -> LevelChange:
    """What moving `kind` to `price` would do for `position`, at the current mark."""
    spec = trading.spec(position.market, venue)
    maint = spec.maint_margin if spec is not None and spec.is_perp else 0.0
    liq = margin.position_liquidation_price(position, maint) if maint else None
    mark = trading.mark(position.market, venue) or position.entry_price
    return check_level(position, kind, price, mark, liq if liq and liq > 0 else None)


def conditions_for(change: LevelChange) -> TradeConditions:
    if change.kind == "take_profit":
        return TradeConditions(take_profit=change.price)
    if change.kind == "stop_loss":
        return TradeConditions(stop_loss=change.price)
    return TradeConditions(trailing_percent=change.trailing_percent)


async def set_exit_level(monitor: Any, account: str, market: str, kind: str, price: float,
                         venue: str | None = None) -> LevelChange:
    """Check against the position as the venue reports it now, then replace the level; a refusal
    (its reason in the returned change) leaves the stored conditions untouched."""
    trading = monitor.trading
    found = await trading.find_position(account, market, venue)
    if found is None:
        return LevelChange(kind, price, 0.0, f"no open {market} position in {account}")
    name, position = found
    change = preview_level(trading, position, kind, price, name)
    if change.allowed:
        await monitor.attach_exits(account, market, conditions_for(change), venue=name)
    return change
