"""What the monitor is protecting right now, in words (the `--headless` start-up log, QA 24)."""

from __future__ import annotations

from grace_desktop.domain.conditions import ExitRule
from grace_desktop.services.monitor import PositionMonitor
from grace_desktop.services.watch import RATCHET


def protection_lines(monitor: PositionMonitor) -> list[str]:
    """One line per watched position (its exits and the switch each obeys) and per armed entry."""
    lines: list[str] = []
    for (venue, account, market), watch in sorted(monitor._watches.items()):
        p = watch.position
        settings = monitor.trading.settings(account)
        levels = []
        for name, (price, _direction) in sorted(watch.levels.items()):
            if name == RATCHET:
                continue
            acts = watch.executes(ExitRule(name), settings)
            levels.append(f"{name.replace('_', ' ')} {price:,.6g}{'' if acts else ' (alert only)'}")
        lines.append(f"{account} {market} {p.side.value} {p.size:g} on {venue}: " + (", ".join(levels) or "no exits"))
    for record in monitor.entries.armed():
        q = record.params
        bound = f"≤ {q['price_below']:g}" if q.get("price_below") is not None else f"≥ {q.get('price_above'):g}"
        lines.append(f"{record.account} {record.market}: entry {q.get('side')} {q.get('size'):g} when {bound}"
                     + (" (alert only)" if record.alert_only else ""))
    return lines
