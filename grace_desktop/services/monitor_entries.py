"""Conditional entries: armed in the monitor's trigger book of their venue, fired once through TradingService."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from grace_desktop.domain.conditions import EntryCondition, entry_executes
from grace_desktop.services.exit_conditions import ENTRY_EXIT_PARAMS
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage.records import ConditionRecord

if TYPE_CHECKING:
    from grace_desktop.services.monitor import PositionMonitor

log = logging.getLogger(__name__)


class EntryConditions:
    def __init__(self, monitor: PositionMonitor) -> None:
        self.monitor = monitor
        self._armed: dict[int, ConditionRecord] = {}

    async def load(self) -> None:
        store = self.monitor.store
        for record in await store.read(store.conditions.armed):
            if record.kind == "entry" and record.id is not None:
                self.arm(record)

    def _venue(self, record: ConditionRecord) -> str:
        venue = record.venue or self.monitor.trading.selector.primary
        return venue if venue in self.monitor.books else self.monitor.trading.selector.primary

    def arm(self, record: ConditionRecord) -> None:
        if record.id is None:
            return
        entry = EntryCondition(record.params.get("price_below"), record.params.get("price_above"))
        self._armed[record.id] = record
        book = self.monitor.books[self._venue(record)]
        for price, direction in entry.triggers():
            book.arm(("entry", record.id, direction.value), record.market, price, direction)

    def disarm(self, cond_id: int) -> None:
        record = self._armed.pop(cond_id, None)
        books = [self.monitor.books[self._venue(record)]] if record is not None else list(self.monitor.books.values())
        for book in books:
            for key in [k for k in book.keys() if isinstance(k, tuple) and k[0] == "entry" and k[1] == cond_id]:
                book.cancel(key)

    def armed(self) -> list[ConditionRecord]:
        return list(self._armed.values())

    def fire(self, cond_id: int, price: float) -> None:
        """Called from the tick path: the condition fires exactly once, then the trade is attempted."""
        record = self._armed.get(cond_id)
        if record is None:
            return  # the sibling bound of a two-sided entry already fired it
        self.disarm(cond_id)
        self.monitor.spawn(self._enter(record, price), name=f"entry-{cond_id}")

    async def _enter(self, record: ConditionRecord, price: float) -> None:
        monitor = self.monitor
        store = monitor.store
        assert record.id is not None
        now = monitor.now()
        # An entry the user armed is an order the user gave: it goes out whatever the auto-trading
        # switch, unless the user chose alert-only for it.
        if not entry_executes(alert_only=record.alert_only):
            await store.write(store.conditions.set_status, record.id, "fired", fired_price=price,
                              reason="alert only", ts=now)
            monitor.alerts.warning("Entry condition reached", f"{record.market} at {price:g}; alert-only was chosen, "
                                   "no order sent", account=record.account, market=record.market)
            monitor.decide(record.account, record.market, "entry", price, "alert", "alert-only")
            return
        p = record.params
        await store.write(store.conditions.set_status, record.id, "fired", fired_price=price, reason="entry", ts=now)
        try:
            exits = TradeConditions(**{name: p.get(name) for name in ENTRY_EXIT_PARAMS},
                                    alert_only=p.get("alert_only") or frozenset())
            result = await monitor.trading.execute_trade(
                str(p["side"]), float(p["size"]), record.market, record.account,
                leverage=float(p["leverage"]), conditions=exits if exits.has_exits else None,
                venue=record.venue or None,
                # A stop-limit entry sends its limit; older records (no order_type) send at market.
                order_type=str(p.get("order_type") or "market"), price=p.get("price"),
                time_in_force=str(p.get("time_in_force") or "gtc"),
            )
            ok, why, message = result.success, "; ".join(result.reasons), result.message
        except Exception as exc:  # a failing entry goes through the same alert and decision path as a refusal
            log.exception("conditional entry #%s failed", record.id)
            ok, why, message = False, f"failed: {exc or type(exc).__name__}", ""
        if ok:
            monitor.decide(record.account, record.market, "entry", price, f"{p['side']} {p['size']}", message)
            monitor.alerts.info("Conditional entry sent", f"{p['side']} {p['size']} {record.market} at about "
                                f"{price:g}: {message}", account=record.account, market=record.market)
        else:
            await store.write(store.conditions.set_status, record.id, "fired", fired_price=price,
                              reason=f"refused: {why}", ts=now)
            monitor.decide(record.account, record.market, "entry", price, "refused", why)
            monitor.alerts.warning("Conditional entry refused", f"{record.market}: {why}",
                                   account=record.account, market=record.market)
