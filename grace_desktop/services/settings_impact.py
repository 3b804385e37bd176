"""Which open positions a settings change would close at once (asked before saving, QA 13).

Turning on a stop-loss %, a take-profit %, a trailing stop or auto-trading itself can put a
level the mark has already crossed in charge: the monitor would market-close the position on
the next tick. The window lists those positions and asks first.
"""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.domain.conditions import ExitRule
from grace_desktop.domain.models import Position
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.services.monitor import PositionMonitor
from grace_desktop.services.watch import RATCHET, Watch, plan_exits


@dataclass(frozen=True, slots=True)
class ImmediateClose:
    venue: str
    position: Position
    rule: ExitRule
    level: float
    mark: float

    @property
    def text(self) -> str:
        rule = self.rule.value.replace("_", " ")
        return (f"{self.position.market} {self.position.side.value} {self.position.size:g} on {self.venue}: "
                f"{rule} at {self.level:,.6g}, mark {self.mark:,.6g}")


def _firing(watch: Watch, settings: AccountSettings, mark: float) -> list[tuple[ExitRule, float]]:
    out = []
    for name, (level, direction) in watch.levels.items():
        if name == RATCHET:
            continue
        rule = ExitRule(name)
        if direction.crossed(level, mark) and watch.executes(rule, settings):
            out.append((rule, level))
    return out


def closes_at_once(monitor: PositionMonitor, account: str, new: AccountSettings) -> list[ImmediateClose]:
    """Positions of `account` that `new` would close on the next tick and the current settings do not."""
    trading = monitor.trading
    old = trading.settings(account)
    found: list[ImmediateClose] = []
    for (venue, acct, market), watch in list(monitor._watches.items()):
        if acct != account:
            continue
        spec = trading.spec(market, venue) or trading.spec(market)
        mark = trading.mark(market, venue) or trading.mark(market)
        if spec is None or mark is None:
            continue
        conditions = [c for c in trading.store.conditions.armed(account, market, venue) if c.kind != "entry"]
        before = {rule for rule, _ in _firing(plan_exits(watch.position, spec, old, conditions, mark), old, mark)}
        for rule, level in _firing(plan_exits(watch.position, spec, new, conditions, mark), new, mark):
            if rule not in before:
                found.append(ImmediateClose(venue, watch.position, rule, level, mark))
                break  # one close per position, whatever the number of rules
    return found
