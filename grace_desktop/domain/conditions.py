"""Entry and exit conditions with long/short semantics.

Thresholds are compared with `is not None`, never by truthiness: a bound of 0 is a bound
(price_above=0 is met by any price; price_below=0 by none), and None means "not set".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import Side
from grace_desktop.domain.errors import DomainError


class Direction(str, Enum):
    """Which way the price must cross a trigger for it to fire."""

    AT_OR_BELOW = "at_or_below"
    AT_OR_ABOVE = "at_or_above"

    def crossed(self, trigger: float, price: float) -> bool:
        return price <= trigger if self is Direction.AT_OR_BELOW else price >= trigger


class ExitRule(str, Enum):
    TAKE_PROFIT = "take_profit"
    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    LIQUIDATION_GUARD = "liquidation_guard"


class ExitSource(str, Enum):
    """Where an armed exit came from; it decides which switch governs it."""

    ATTACHED = "attached"  # the user attached it to an order or a position: an order the user gave
    SETTINGS = "settings"  # an account-wide TP % / SL % / trailing % rule from settings
    GUARD = "guard"  # the liquidation guard


def exit_executes(source: ExitSource, *, alert_only: bool, auto_trading: bool, guard_enabled: bool) -> bool:
    """Whether a fired exit sends its close (True) or only alerts (False).

    What the user attached executes whatever the auto-trading switch, unless the user chose
    alert-only for it; that switch governs only the account-wide rules, and the guard has its own.
    """
    if source is ExitSource.ATTACHED:
        return not alert_only
    if source is ExitSource.GUARD:
        return guard_enabled
    return auto_trading and not alert_only


def entry_executes(*, alert_only: bool) -> bool:
    """An entry condition the user armed places its order when reached, unless it is alert-only."""
    return not alert_only


def _optional_bound(field: str, value: float | None) -> float | None:
    if value is None:
        return None
    return v.non_negative(field, value)


@dataclass(frozen=True, slots=True)
class EntryCondition:
    """Open a position once the price reaches a level: a dip (price_below) or a breakout (price_above).

    With both set, whichever is reached first fires.
    """

    price_below: float | None = None
    price_above: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "price_below", _optional_bound("price_below", self.price_below))
        object.__setattr__(self, "price_above", _optional_bound("price_above", self.price_above))
        if self.price_below is None and self.price_above is None:
            raise DomainError("entry", "set price_below, price_above or both")

    def is_met(self, price: float) -> bool:
        below = self.price_below is not None and price <= self.price_below
        above = self.price_above is not None and price >= self.price_above
        return below or above

    def triggers(self) -> list[tuple[float, Direction]]:
        out: list[tuple[float, Direction]] = []
        if self.price_below is not None:
            out.append((self.price_below, Direction.AT_OR_BELOW))
        if self.price_above is not None:
            out.append((self.price_above, Direction.AT_OR_ABOVE))
        return out


def exit_direction(side: Side | str, rule: ExitRule) -> Direction:
    """A long takes profit above and stops below; a short the other way round."""
    side = Side.parse(side)
    profit_side = rule is ExitRule.TAKE_PROFIT
    if side is Side.LONG:
        return Direction.AT_OR_ABOVE if profit_side else Direction.AT_OR_BELOW
    return Direction.AT_OR_BELOW if profit_side else Direction.AT_OR_ABOVE


def take_profit_price(side: Side | str, entry_price: float, percent: float) -> float:
    """Price `percent` % in the position's favour from entry."""
    entry = v.positive("entry_price", entry_price)
    pct = v.positive("take_profit_percent", percent)
    if Side.parse(side) is Side.SHORT and pct >= 100:
        raise DomainError("take_profit_percent", f"a short's take-profit must be below 100 %, got {pct:g}")
    return entry * (1 + pct / 100) if Side.parse(side) is Side.LONG else entry * (1 - pct / 100)


def stop_loss_price(side: Side | str, entry_price: float, percent: float) -> float:
    """Price `percent` % against the position from entry."""
    entry = v.positive("entry_price", entry_price)
    pct = v.positive("stop_loss_percent", percent)
    if Side.parse(side) is Side.LONG and pct >= 100:
        raise DomainError("stop_loss_percent", f"a long's stop must be below 100 %, got {pct:g}")
    return entry * (1 - pct / 100) if Side.parse(side) is Side.LONG else entry * (1 + pct / 100)


@dataclass(frozen=True, slots=True)
class ExitLevels:
    """Resolved absolute exit prices for one position (None = not set)."""

    side: Side
    take_profit: float | None = None
    stop_loss: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side.parse(self.side))
        object.__setattr__(self, "take_profit", _optional_bound("take_profit", self.take_profit))
        object.__setattr__(self, "stop_loss", _optional_bound("stop_loss", self.stop_loss))

    @classmethod
    def resolve(
        cls,
        side: Side | str,
        entry_price: float,
        *,
        take_profit: float | None = None,
        stop_loss: float | None = None,
        take_profit_percent: float | None = None,
        stop_loss_percent: float | None = None,
    ) -> ExitLevels:
        """Absolute levels win over percentages when both are given."""
        side = Side.parse(side)
        tp = take_profit
        if tp is None and take_profit_percent is not None:
            tp = take_profit_price(side, entry_price, take_profit_percent)
        sl = stop_loss
        if sl is None and stop_loss_percent is not None:
            sl = stop_loss_price(side, entry_price, stop_loss_percent)
        return cls(side, tp, sl)

    def triggers(self) -> list[tuple[ExitRule, float, Direction]]:
        out: list[tuple[ExitRule, float, Direction]] = []
        if self.take_profit is not None:
            out.append((ExitRule.TAKE_PROFIT, self.take_profit, exit_direction(self.side, ExitRule.TAKE_PROFIT)))
        if self.stop_loss is not None:
            out.append((ExitRule.STOP_LOSS, self.stop_loss, exit_direction(self.side, ExitRule.STOP_LOSS)))
        return out

    def fired(self, price: float) -> ExitRule | None:
        """The rule this price fires; a stop loss outranks a take profit if a bad config lets both fire."""
        hits = [rule for rule, level, direction in self.triggers() if direction.crossed(level, price)]
        if ExitRule.STOP_LOSS in hits:
            return ExitRule.STOP_LOSS
        return hits[0] if hits else None


class TrailingStop:
    """A stop that follows the best price by `percent`: the high for a long, the low for a short."""

    __slots__ = ("side", "percent", "extreme")

    def __init__(self, side: Side | str, percent: float, start_price: float) -> None:
        self.side = Side.parse(side)
        self.percent = v.positive("trailing_percent", percent)
        if self.percent >= 100:
            raise DomainError("trailing_percent", f"must be below 100, got {self.percent:g}")
        self.extreme = v.positive("start_price", start_price)

    @property
    def stop_price(self) -> float:
        if self.side is Side.LONG:
            return self.extreme * (1 - self.percent / 100)
        return self.extreme * (1 + self.percent / 100)

    @property
    def stop_direction(self) -> Direction:
        return Direction.AT_OR_BELOW if self.side is Side.LONG else Direction.AT_OR_ABOVE

    @property
    def ratchet_direction(self) -> Direction:
        """Which way a new extreme lies (the price that moves the stop)."""
        return Direction.AT_OR_ABOVE if self.side is Side.LONG else Direction.AT_OR_BELOW

    def update(self, price: float) -> bool:
        """Follow a new extreme. Returns True when the stop moved."""
        better = price > self.extreme if self.side is Side.LONG else price < self.extreme
        if better:
            self.extreme = price
        return better

    def is_hit(self, price: float) -> bool:
        return self.stop_direction.crossed(self.stop_price, price)


def position_exit_problems(side: Side | str, mark: float, liquidation: float | None, *,
                           take_profit: float | None, stop_loss: float | None) -> list[str]:
    """Why these exits cannot be set on an open position now (empty: they can).

    Judged against the mark, not the entry: a level the mark has already crossed would fire
    on the next tick. A stop past the liquidation price could never fire before liquidation.
    """
    side = Side.parse(side)
    mark = v.positive("mark", mark)
    above, below = ("above", "below") if side is Side.LONG else ("below", "above")
    problems: list[str] = []
    if take_profit is not None and (take_profit - mark) * side.sign <= 0:
        problems.append(f"take_profit: a {side.value}'s take-profit must be {above} the mark {mark:.10g}")
    if stop_loss is not None:
        if (stop_loss - mark) * side.sign >= 0:
            problems.append(f"stop_loss: a {side.value}'s stop-loss must be {below} the mark {mark:.10g}")
        elif liquidation is not None and 0 < liquidation < float("inf") and (stop_loss - liquidation) * side.sign <= 0:
            problems.append(f"stop_loss: liquidated at {liquidation:.10g} before the stop at {stop_loss:.10g}")
    return problems
