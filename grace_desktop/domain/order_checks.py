"""Checks of an order against the position it would leave: the ticket and TradingService share them.

- a stop-loss (or a trailing stop's first level) at or past the liquidation price can never fire:
  refused, "liquidated at X before the stop at Y"; one within STOP_WARN_PCT of it is warned;
- an entry trigger the mark has already crossed would fire on the next tick: refused;
- an order whose position would open inside the liquidation guard's buffer would be reduced
  and closed at once (three fees for nothing): refused;
- margin held by resting orders is not free collateral (what the venue holds back).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderType, Side
from grace_desktop.domain.models import MarketSpec, Order, Position

# A stop closer than this (in % of the stop price) to the liquidation price may be overtaken by
# slippage or a gap: warned, not refused.
STOP_WARN_PCT = 1.0


@dataclass(frozen=True, slots=True)
class Findings:
    reasons: tuple[str, ...] = ()  # refusals, each "field: message"
    warnings: tuple[str, ...] = ()


def _p(value: float, tick: float | None = None) -> str:
    """A price for a message: to the market's tick when known (55,661.5), else 10 significant digits."""
    if tick is None or tick <= 0:
        return f"{value:,.10g}"
    digits = max(0, min(10, -math.floor(math.log10(tick) + 1e-9)))
    return f"{value:,.{digits}f}"


def stop_levels(side: Side, entry: float, stop_loss: float | None, stop_loss_percent: float | None,
                trailing_percent: float | None) -> list[tuple[str, float]]:
    """(field, price) of every stop the order attaches, as it stands at `entry`."""
    levels: list[tuple[str, float]] = []
    if stop_loss is not None:
        levels.append(("stop_loss", stop_loss))
    if stop_loss_percent is not None:
        levels.append(("stop_loss_percent", entry * (1 - side.sign * stop_loss_percent / 100.0)))
    if trailing_percent is not None:
        levels.append(("trailing_percent", entry * (1 - side.sign * trailing_percent / 100.0)))
    return levels


def check_stops(side: Side, liquidation_price: float | None, levels: Iterable[tuple[str, float]],
                tick: float | None = None) -> Findings:
    """Stops of a `side` position whose liquidation price is `liquidation_price` (None/0: none)."""
    if liquidation_price is None or liquidation_price <= 0:
        return Findings()
    reasons: list[str] = []
    warnings: list[str] = []
    for name, stop in levels:
        past = stop <= liquidation_price if side is Side.LONG else stop >= liquidation_price
        if past:
            reasons.append(f"{name}: liquidated at {_p(liquidation_price, tick)} before the stop at "
                           f"{_p(stop, tick)}; "
                           "use less leverage or a closer stop")
            continue
        gap_pct = abs(stop - liquidation_price) / stop * 100.0
        if gap_pct < STOP_WARN_PCT:
            warnings.append(f"{name}: the stop at {_p(stop, tick)} is within {gap_pct:.2f} % of the liquidation "
                            f"price {_p(liquidation_price, tick)}; slippage may reach liquidation first")
    return Findings(tuple(reasons), tuple(warnings))


def check_entry_triggers(mark: float | None, entry_below: float | None, entry_above: float | None) -> Findings:
    """An entry 'when <= X' with the mark already at or below X (or '>=' above) would fire at once."""
    if mark is None:
        return Findings()
    reasons: list[str] = []
    if entry_below is not None and mark <= entry_below:
        reasons.append(f"entry_below: the mark {_p(mark)} is already at or below {_p(entry_below)}; it would fire "
                       "at once (send it now, or set a trigger below the mark)")
    if entry_above is not None and mark >= entry_above:
        reasons.append(f"entry_above: the mark {_p(mark)} is already at or above {_p(entry_above)}; it would fire "
                       "at once (send it now, or set a trigger above the mark)")
    return Findings(tuple(reasons))


def guard_trigger(side: Side, liquidation_price: float, buffer_pct: float) -> float:
    """The mark at which the liquidation guard acts: `buffer_pct` % of price before liquidation."""
    if side is Side.LONG:
        return liquidation_price * (1 + buffer_pct / 100.0)
    return liquidation_price * (1 - buffer_pct / 100.0)


def check_guard_buffer(position: Position | None, liquidation_price: float | None, mark: float,
                       buffer_pct: float, tick: float | None = None) -> Findings:
    """Refuse an order whose resulting position the guard would act on at today's mark."""
    if position is None or liquidation_price is None or liquidation_price <= 0:
        return Findings()
    trigger = guard_trigger(position.side, liquidation_price, buffer_pct)
    inside = mark <= trigger if position.side is Side.LONG else mark >= trigger
    if not inside:
        return Findings()
    distance = margin.distance_to_liquidation_pct(position.side, mark, liquidation_price)
    return Findings((
        f"leverage: the {position.side.value} would stand {distance:.2f} % from its liquidation price "
        f"{_p(liquidation_price, tick)}, inside the liquidation guard's {buffer_pct:g} % buffer; the guard would "
        "reduce it at once. Use less leverage or a smaller size",
    ))


def loss_at_stop(position: Position | None, stop: float | None) -> float | None:
    """What closing the whole resulting position at `stop` loses (positive number), before fees."""
    if position is None or stop is None:
        return None
    return -position.side.sign * position.size * (stop - position.entry_price)


def reserved_margin(orders: Iterable[Order], positions: Mapping[str, Position],
                    specs: Mapping[str, MarketSpec]) -> float:
    """Initial margin (plus maker fee) held for resting limit orders that would add exposure.

    An order against a position reserves only what it would open beyond closing it; a
    reduce-only order reserves nothing. The paper venue holds back the same amount.
    """
    total = 0.0
    for order in orders:
        request = order.request
        if request.reduce_only or request.price is None or request.order_type is not OrderType.LIMIT \
                or not order.status.is_live:
            continue
        exposure = order.remaining
        position = positions.get(request.market)
        if position is not None and request.side.position_side is not position.side:
            exposure = max(0.0, exposure - position.size)
        spec = specs.get(request.market)
        if exposure <= 0 or spec is None:
            continue
        total += exposure * request.price / request.leverage + max(0.0, margin.fee(exposure, request.price,
                                                                                     spec.maker_fee))
    return total
