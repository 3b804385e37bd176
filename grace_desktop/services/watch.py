"""Per-position exit plan: which trigger prices to arm for one open position, and why."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from grace_desktop.domain import mango_health, margin
from grace_desktop.domain.conditions import Direction, ExitLevels, ExitRule, ExitSource, TrailingStop, exit_executes
from grace_desktop.domain.enums import Side
from grace_desktop.domain.models import MarketSpec, Portfolio, Position
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.storage.records import ConditionRecord

# When several rules fire for one position in one tick, the most protective one names the close.
RULE_PRIORITY = (ExitRule.LIQUIDATION_GUARD, ExitRule.STOP_LOSS, ExitRule.TRAILING_STOP, ExitRule.TAKE_PROFIT)
RATCHET = "ratchet"


@dataclass
class Watch:
    position: Position
    levels: dict[str, tuple[float, Direction]] = field(default_factory=dict)
    trailing: TrailingStop | None = None
    condition_ids: tuple[int, ...] = ()
    alerted: set[str] = field(default_factory=set)
    # Per rule: who set it (attached by the user, an account-wide setting, the guard) and
    # whether the user chose alert-only for it; together they say which switch governs it.
    sources: dict[str, ExitSource] = field(default_factory=dict)
    alert_only: set[str] = field(default_factory=set)

    settings: AccountSettings | None = None
    # Cross margin (Mango): the account-wide liquidation price the guard was planned at.
    liquidation: float | None = None

    def executes(self, rule: ExitRule, settings: AccountSettings) -> bool:
        """Whether `rule` firing now sends a close under `settings` (else it only alerts)."""
        return exit_executes(self.sources.get(rule.value, ExitSource.SETTINGS), alert_only=rule.value in self.alert_only,
                             auto_trading=settings.auto_trading_enabled, guard_enabled=settings.liquidation_guard_enabled)

    @property
    def fingerprint(self) -> tuple[object, ...]:
        return fingerprint(self.position, self.settings, self.condition_ids, self.liquidation)


def fingerprint(position: Position, settings: AccountSettings | None, condition_ids: tuple[int, ...],
                liquidation: float | None = None) -> tuple[object, ...]:
    """What a watch's plan depends on: re-plan when any of it changes."""
    p = position
    return (p.side, p.size, p.entry_price, p.leverage, p.collateral, settings, condition_ids, liquidation)


def cross_liquidation(portfolio: Portfolio, position: Position, specs: Mapping[str, MarketSpec]) -> float | None:
    """On a cross-margin account, where maint health reaches zero for `position` (the fresh read
    replaces the portfolio's copy), rounded so mark noise does not re-plan; None when isolated."""
    if not mango_health.is_cross(portfolio):
        return None
    others = tuple(p for p in portfolio.positions if p.market != position.market)
    held = replace(portfolio, positions=(*others, position))
    liq = mango_health.liquidation_price(held, specs, position.market)
    return None if math.isnan(liq) else float(f"{liq:.8g}")


def plan_exits(
    position: Position, spec: MarketSpec, settings: AccountSettings, conditions: list[ConditionRecord],
    start_price: float, liquidation: float | None = None,
) -> Watch:
    """Resolve settings and explicit conditions into trigger levels; explicit conditions win.
    `liquidation` (cross margin) replaces the position's isolated liquidation price for the guard."""
    tp = sl = tp_pct = sl_pct = trail_pct = None
    sources: dict[str, ExitSource] = {}
    alert_only: set[str] = set()
    for cond in conditions:
        params = cond.params
        if cond.kind == "take_profit":
            tp, tp_pct = params.get("price"), params.get("percent")
        elif cond.kind == "stop_loss":
            sl, sl_pct = params.get("price"), params.get("percent")
        elif cond.kind == "trailing_stop":
            trail_pct = params.get("percent")
        else:
            continue
        sources[cond.kind] = ExitSource.ATTACHED
        if cond.alert_only:
            alert_only.add(cond.kind)
        else:
            alert_only.discard(cond.kind)
    if tp is None and tp_pct is None and settings.take_profit_enabled:
        tp_pct = settings.take_profit_percentage
        sources[ExitRule.TAKE_PROFIT.value] = ExitSource.SETTINGS
    if sl is None and sl_pct is None and settings.stop_loss_enabled:
        sl_pct = settings.stop_loss_percentage
        sources[ExitRule.STOP_LOSS.value] = ExitSource.SETTINGS
    if trail_pct is None and settings.trailing_stop_enabled:
        trail_pct = settings.trailing_stop_percentage
        sources[ExitRule.TRAILING_STOP.value] = ExitSource.SETTINGS

    watch = Watch(position, condition_ids=tuple(c.id for c in conditions if c.id is not None), settings=settings,
                  sources=sources, alert_only=alert_only)
    levels = ExitLevels.resolve(
        position.side, position.entry_price, take_profit=tp, stop_loss=sl,
        take_profit_percent=tp_pct, stop_loss_percent=sl_pct,
    )
    for rule, price, direction in levels.triggers():
        watch.levels[rule.value] = (price, direction)
    if trail_pct is not None:
        best = max(start_price, position.entry_price) if position.side is Side.LONG else min(start_price, position.entry_price)
        watch.trailing = TrailingStop(position.side, trail_pct, best)
        arm_trailing(watch)
    watch.liquidation = liquidation
    guard = guard_level(position, spec, settings, liquidation)
    if guard is not None:
        watch.levels[ExitRule.LIQUIDATION_GUARD.value] = guard
        watch.sources[ExitRule.LIQUIDATION_GUARD.value] = ExitSource.GUARD
    return watch


def arm_trailing(watch: Watch) -> None:
    """Levels for the trailing stop and for the next new extreme that moves it."""
    trailing = watch.trailing
    if trailing is None:
        return
    watch.levels[ExitRule.TRAILING_STOP.value] = (trailing.stop_price, trailing.stop_direction)
    # Strictly beyond the current extreme, so an unchanged price does not re-fire the ratchet.
    beyond = math.nextafter(trailing.extreme, math.inf if trailing.side is Side.LONG else -math.inf)
    watch.levels[RATCHET] = (beyond, trailing.ratchet_direction)


def guard_level(position: Position, spec: MarketSpec, settings: AccountSettings,
                liquidation: float | None = None) -> tuple[float, Direction] | None:
    """Trigger `buffer` % of price before the liquidation price, on the side the mark approaches from."""
    if not settings.liquidation_guard_enabled or not spec.is_perp:
        return None
    liq = margin.position_liquidation_price(position, spec.maint_margin) if liquidation is None else liquidation
    if position.side is Side.LONG:
        if liq <= 0:
            return None
        return (liq * (1 + settings.liquidation_guard_buffer_pct / 100), Direction.AT_OR_BELOW)
    if math.isinf(liq):
        return None
    return (liq * (1 - settings.liquidation_guard_buffer_pct / 100), Direction.AT_OR_ABOVE)


def pick_rule(rules: list[str]) -> ExitRule | None:
    for rule in RULE_PRIORITY:
        if rule.value in rules:
            return rule
    return None
