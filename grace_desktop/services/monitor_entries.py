"""Conditional entries: armed in the monitor's trigger book, fired once through TradingService."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from grace_desktop.domain.conditions import EntryCondition
from grace_desktop.domain.enums import OrderSide
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage.records import ConditionRecord

if TYPE_CHECKING:
    from grace_desktop.services.monitor import PositionMonitor

log = logging.getLogger(__name__)

_EXIT_PARAMS = ("take_profit", "stop_loss", "take_profit_percent", "stop_loss_percent", "trailing_percent")


class EntryConditions:
    def __init__(self, monitor: PositionMonitor) -> None:
        self.monitor = monitor
        self._armed: dict[int, ConditionRecord] = {}

    async def load(self) -> None:
        for record in await asyncio.to_thread(self.monitor.store.conditions.armed):
            if record.kind == "entry" and record.id is not None:
                self._arm(record)

    async def arm_new(
        self, account: str, market: str, side: OrderSide, size: float, leverage: float, conditions: TradeConditions
    ) -> str:
        EntryCondition(conditions.entry_below, conditions.entry_above)  # validates the bounds
        params: dict[str, object] = {
            "side": side.value, "size": size, "leverage": leverage,
            "price_below": conditions.entry_below, "price_above": conditions.entry_above,
        }
        for name in _EXIT_PARAMS:
            params[name] = getattr(conditions, name)
        record = ConditionRecord(account, market, "entry", params, created_at=self.monitor._clock())
        cond_id = self.monitor.store.conditions.add(record)
        self._arm(self.monitor.store.conditions.get(cond_id) or record)
        return str(cond_id)

    def _arm(self, record: ConditionRecord) -> None:
        assert record.id is not None
        entry = EntryCondition(record.params.get("price_below"), record.params.get("price_above"))
        self._armed[record.id] = record
        for price, direction in entry.triggers():
            self.monitor.book.arm(("entry", record.id, direction.value), record.market, price, direction)

    def disarm(self, cond_id: int) -> None:
        self._armed.pop(cond_id, None)
        for key in [k for k in self.monitor.book.keys() if k[0] == "entry" and k[1] == cond_id]:
            self.monitor.book.cancel(key)

    def armed(self) -> list[ConditionRecord]:
        return list(self._armed.values())

    def fire(self, cond_id: int, price: float) -> None:
        """Called from the tick path: the condition fires exactly once, then the trade is attempted."""
        record = self._armed.pop(cond_id, None)
        if record is None:
            return  # the sibling bound of a two-sided entry already fired it
        self.disarm(cond_id)
        self.monitor.spawn(self._enter(record, price))

    async def _enter(self, record: ConditionRecord, price: float) -> None:
        monitor = self.monitor
        assert record.id is not None
        now = monitor._clock()
        settings = monitor.trading.settings(record.account)
        if not settings.auto_trading_enabled:
            monitor.store.conditions.set_status(record.id, "fired", fired_price=price, reason="alert only", ts=now)
            monitor.alerts.warning("Entry condition reached", f"{record.market} at {price:g}; auto-trading is off, "
                                   "no order sent", account=record.account, market=record.market)
            monitor._decide(record.account, record.market, "entry", price, "alert", "auto-trading off")
            return
        p = record.params
        exits = TradeConditions(**{name: p.get(name) for name in _EXIT_PARAMS})
        monitor.store.conditions.set_status(record.id, "fired", fired_price=price, reason="entry", ts=now)
        result = await monitor.trading.execute_trade(
            str(p["side"]), float(p["size"]), record.market, record.account,  # type: ignore[arg-type]
            leverage=float(p["leverage"]), conditions=exits if exits.has_exits else None,  # type: ignore[arg-type]
        )
        if result.success:
            monitor._decide(record.account, record.market, "entry", price, f"{p['side']} {p['size']}", result.message)
            monitor.alerts.info("Conditional entry filled", f"{p['side']} {p['size']} {record.market} at about "
                                f"{price:g}", account=record.account, market=record.market)
        else:
            why = "; ".join(result.reasons)
            monitor.store.conditions.set_status(record.id, "fired", fired_price=price, reason=f"refused: {why}", ts=now)
            monitor._decide(record.account, record.market, "entry", price, "refused", why)
            monitor.alerts.warning("Conditional entry refused", f"{record.market}: {why}",
                                   account=record.account, market=record.market)
