"""The checks TradingService runs after the risk policy, on the position the order would leave.

The ticket's preview and `execute_trade` both call `apply_guards`, so a script cannot place
what the window refuses: a stop past the liquidation price, an entry trigger the mark already
crossed, a position inside the liquidation guard's buffer. Warnings become decision notes.
"""

from __future__ import annotations

from dataclasses import replace

from grace_desktop.domain.enums import OrderType
from grace_desktop.domain.models import MarketSpec, OrderRequest
from grace_desktop.domain.order_checks import (
    check_entry_triggers,
    check_guard_buffer,
    check_stops,
    stop_levels,
)
from grace_desktop.domain.risk import RiskDecision, RiskReason
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.services.trade_types import TradeConditions


def entry_price(conditions: TradeConditions | None) -> float | None:
    """The price a deferred (entry-condition) order is expected to fill at: its trigger."""
    if conditions is None:
        return None
    return conditions.entry_below if conditions.entry_below is not None else conditions.entry_above


def apply_guards(
    decision: RiskDecision, request: OrderRequest, spec: MarketSpec, settings: AccountSettings,
    conditions: TradeConditions | None, mark: float | None,
) -> RiskDecision:
    """`decision` with the guards' refusals added to its reasons and their warnings to its notes."""
    reasons: list[RiskReason] = []
    notes: list[str] = []
    if conditions is not None and conditions.has_entry:
        reasons += [RiskReason("entry", r) for r in
                    check_entry_triggers(mark, conditions.entry_below, conditions.entry_above).reasons]
    after = decision.after
    if spec.is_perp and after is not None and after.position is not None and not request.reduce_only:
        position = after.position
        if conditions is not None:
            levels = stop_levels(position.side, position.entry_price, conditions.stop_loss,
                                 conditions.stop_loss_percent, conditions.trailing_percent)
            found = check_stops(position.side, after.liquidation_price, levels, spec.tick_size)
            reasons += [RiskReason("stop", r) for r in found.reasons]
            notes += found.warnings
        if settings.liquidation_guard_enabled and after.kind in ("open", "add", "flip"):
            # Where the position stands when it opens: at the mark for a market order, at its
            # price for a resting limit or a deferred entry.
            deferred = entry_price(conditions)
            at = deferred if deferred is not None else (
                request.price if request.order_type is OrderType.LIMIT and request.price is not None else mark)
            if at is not None:
                found = check_guard_buffer(position, after.liquidation_price, at,
                                           settings.liquidation_guard_buffer_pct, spec.tick_size)
                reasons += [RiskReason("guard", r) for r in found.reasons]
    if not reasons and not notes:
        return decision
    return replace(decision, approved=decision.approved and not reasons, reasons=decision.reasons + tuple(reasons),
                   notes=decision.notes + tuple(notes))
