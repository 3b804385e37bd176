"""Closes the monitor sends: one per position, retried until done, never sent twice to find out.

A close whose reply never came is UNKNOWN: it is resolved (by client id, fills, the position)
before anything else is sent, so a liquidation guard's 50 % reduce can never run twice. A
failed close is retried with backoff and alerted until it succeeds or the user steps in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from grace_desktop.domain.conditions import ExitRule, ExitSource
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.watch import Watch

if TYPE_CHECKING:
    from grace_desktop.services.monitor import PositionMonitor
    from grace_desktop.services.monitor_levels import PositionKey

log = logging.getLogger(__name__)

# Raise the failed-close alert on the first failure and then every so many.
ALERT_EVERY = 5


def title(rule: ExitRule) -> str:
    return rule.value.replace("_", " ").capitalize()


def why_alert_only(watch: Watch, rule: ExitRule) -> str:
    """Why a fired rule does not trade, in the words of the switch that governs it."""
    source = watch.sources.get(rule.value, ExitSource.SETTINGS)
    if rule.value in watch.alert_only:
        return "alert-only was chosen for it"
    if source is ExitSource.GUARD:
        return "the liquidation guard is switched off"
    return "auto-trading is off (it governs the account-wide rules)"


class CloseRunner:
    def __init__(self, monitor: PositionMonitor) -> None:
        self.monitor = monitor
        self._closing: set[PositionKey] = set()
        self._guard_reduced: set[PositionKey] = set()

    def closing(self, key: PositionKey) -> bool:
        return key in self._closing

    def forget(self, key: PositionKey) -> None:
        self._guard_reduced.discard(key)

    def act(self, key: PositionKey, watch: Watch, rule: ExitRule, price: float) -> None:
        m = self.monitor
        venue, account, market = key
        settings = m.trading.settings(account)
        if not watch.executes(rule, settings):
            if rule.value not in watch.alerted:
                watch.alerted.add(rule.value)
                why = why_alert_only(watch, rule)
                m.alerts.warning(f"{title(rule)} reached", f"{market} at {price:g}; {why}, no order sent",
                                 account=account, market=market)
                m.decide(account, market, rule.value, price, "alert", why)
            return
        if key in self._closing:
            return  # one close per position, however many rules cross
        fraction = 1.0
        if rule is ExitRule.LIQUIDATION_GUARD and key not in self._guard_reduced:
            # Isolated margin keeps the liquidation price on a proportional reduce, so the guard
            # acts in two steps: reduce first, close the rest if the mark is still in the zone.
            fraction = settings.liquidation_guard_reduce_fraction
        self._closing.add(key)
        for level in watch.levels:  # disarm the rest until the position is re-read
            m.books[venue].cancel(("exit", account, market, level))
        m.spawn(self._close(key, rule, price, fraction, watch), name=f"close-{venue}-{account}-{market}")

    async def _close(self, key: PositionKey, rule: ExitRule, price: float, fraction: float, watch: Watch) -> None:
        m = self.monitor
        venue, account, market = key
        action = "close" if fraction >= 1 else f"reduce {fraction:.0%}"
        attempt = 0
        blind = " (prices were stale: acting on the last known price)" if m.is_blind(venue, market) else ""
        try:
            while True:
                try:
                    result = await m.trading.close_position(account, market, fraction, reason=rule.value, venue=venue,
                                                            trigger_price=price)
                except Exception as exc:  # keep retrying: an unprotected position is the worst outcome
                    log.exception("close of %s %s raised", account, market)
                    ok, gone, why, order = False, False, str(exc) or type(exc).__name__, None
                else:
                    order = result.order
                    ok = result.success
                    why = "; ".join(result.reasons)
                    gone = not ok and why.startswith("no open position")
                if ok and order is not None and order.status in (OrderStatus.UNKNOWN, OrderStatus.SUBMITTED):
                    m.decide(account, market, rule.value, price, f"{action} sent", "outcome unknown: confirming")
                    settled = await m.trading.orders.resolved(order.client_id)
                    if settled is None:
                        return  # shutting down; start-up resolves it
                    order = settled
                    # A reduce counts once it filled at all: the guard never takes more than its fraction.
                    ok = order.status is OrderStatus.FILLED or (
                        fraction < 1 and order.status is OrderStatus.PARTIALLY_FILLED)
                    why = order.reason or order.status.value
                if ok:
                    if rule is ExitRule.LIQUIDATION_GUARD and fraction < 1:
                        self._guard_reduced.add(key)
                    detail = result.message if order is None or order.status is not OrderStatus.FILLED else \
                        f"{order.status.value} {order.filled_size:g} @ {order.avg_fill_price or 0:g}"
                    m.decide(account, market, rule.value, price, action, detail + blind)
                    m.alerts.raise_alert(
                        "critical" if rule is ExitRule.LIQUIDATION_GUARD else "info",
                        f"{title(rule)}: {action}", f"{market} {action} at about {price:g}: {detail}{blind}",
                        account=account, market=market)
                    return
                if gone:
                    m.decide(account, market, rule.value, price, "none", "position already closed")
                    return
                attempt += 1
                m.decide(account, market, rule.value, price, f"{action} failed", why)
                if attempt == 1 or attempt % ALERT_EVERY == 0:
                    m.alerts.error(f"{title(rule)}: {action} failed (attempt {attempt})",
                                   f"{market}: {why}; retrying", account=account, market=market)
                retry_after = getattr(order, "retry_after", None)
                delay = m.retry_delays[min(attempt - 1, len(m.retry_delays) - 1)]
                await asyncio.sleep(max(delay, retry_after or 0.0))
                if not watch.executes(rule, m.trading.settings(account)):
                    # The user stepped in: switching off the rule's switch stops the retries.
                    why = why_alert_only(watch, rule)
                    m.decide(account, market, rule.value, price, "gave up", f"switched off: {why}")
                    m.alerts.warning(f"{title(rule)}: {action} abandoned",
                                     f"{market}: {why} after {attempt} failed "
                                     "attempt(s); the position is open", account=account, market=market)
                    return
        finally:
            self._closing.discard(key)
            if m.running:
                m.spawn(m.resync(venue, account, market))
