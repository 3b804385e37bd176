"""What the trader does to positions, resting orders and armed conditions by hand.

Close a fraction, reverse, edit a position's exits, cancel or edit a resting order or a
condition, and "flatten all" (cancel every resting order and condition, then close every
position reduce-only at market). Orders still go through TradingService; the monitor keeps
the trigger books; every action is journaled as a decision with the mark it was taken at.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from grace_desktop.domain import margin
from grace_desktop.domain.conditions import position_exit_problems
from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Order, Position
from grace_desktop.services.monitor import PositionMonitor
from grace_desktop.services.trade_types import TradeConditions, TradeResult
from grace_desktop.services.trading import TradingService
from grace_desktop.storage.records import ConditionRecord, OrderRecord
from grace_desktop.venues.base import VenueError

log = logging.getLogger(__name__)

EXIT_KINDS = ("take_profit", "stop_loss", "trailing_stop")


@dataclass
class FlattenReport:
    """What "flatten all" did; `failures` say what is still open and why."""

    orders_cancelled: int = 0
    conditions_cancelled: int = 0
    positions_closed: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def summary(self) -> str:
        text = (f"flattened: {self.positions_closed} position(s) closed, {self.orders_cancelled} order(s) and "
                f"{self.conditions_cancelled} condition(s) cancelled")
        return text + ("; NOT done: " + "; ".join(self.failures) if self.failures else "")


@dataclass(frozen=True, slots=True)
class ArmedRow:
    """An armed condition as the orders panel lists it; `level` is the trigger price now (trailing: current)."""

    condition: ConditionRecord
    level: float | None
    detail: str


class PositionActions:
    def __init__(self, trading: TradingService, monitor: PositionMonitor) -> None:
        self.trading = trading
        self.monitor = monitor
        self.store = trading.store

    def _journal(self, account: str, market: str, rule: str, action: str, detail: str, venue: str | None = None) -> None:
        mark = self.trading.mark(market, venue) or self.trading.mark(market)
        self.monitor.decide(account, market, rule, mark, action, detail)

    # ----- positions ---------------------------------------------------------------------------
    async def close(self, venue: str | None, account: str, market: str, fraction: float) -> TradeResult:
        result = await self.trading.close_position(account, market, fraction, reason="manual", venue=venue)
        what = "close" if fraction >= 1 else f"reduce {fraction:.0%}"
        self._journal(account, market, "manual", what if result.success else f"{what} refused",
                      result.message or "; ".join(result.reasons), venue)
        return result

    async def reverse(self, venue: str | None, account: str, market: str) -> TradeResult:
        """Close the position, then open the same size the other way at the same leverage.

        Two orders, not one of twice the size: the close is reduce-only and cannot be refused by
        the risk policy, and the new side is checked like any new order. If the close does not
        fill, nothing else is sent.
        """
        held = await self.trading.find_position(account, market, venue)
        if held is None:
            return TradeResult.refused(f"no open position in {market}")
        name, position = held
        closed = await self.trading.close_position(account, market, 1.0, reason="reverse", venue=name)
        if not closed.success or closed.order is None or closed.order.status is not OrderStatus.FILLED:
            detail = closed.message or "; ".join(closed.reasons) or "the close did not fill"
            self._journal(account, market, "reverse", "refused", f"close did not fill: {detail}", name)
            return TradeResult(False, closed.order, None, (f"reverse stopped: {detail}",), name,
                               f"reverse stopped: {detail}")
        side = OrderSide.closing(position.side).value
        opened = await self.trading.execute_trade(side, position.size, market, account, leverage=position.leverage,
                                                  venue=name, purpose="reverse")
        detail = f"{position.side.value} {position.size:g} → {side} {position.size:g}: {opened.message}"
        self._journal(account, market, "reverse", "reversed" if opened.success else "closed only", detail, name)
        if not opened.success:
            why = "; ".join(opened.reasons) or opened.message
            return TradeResult(False, opened.order, opened.decision, (f"closed, but the new side was refused: {why}",),
                               name, f"closed, but the new side was refused: {why}")
        return opened

    async def edit_exits(self, venue: str | None, account: str, market: str, *, take_profit: float | None,
                         stop_loss: float | None, trailing_percent: float | None, alert_only: bool = False) -> str:
        """Set the position's exits to these (None removes that kind); returns what changed.

        Raises DomainError, with every reason, when a level is already crossed by the mark or a
        stop lies past the liquidation price; nothing is changed then."""
        name = venue or self.trading.selector.primary
        held = await self.trading.find_position(account, market, name)
        if held is None:
            raise DomainError("position", f"no open position in {market} on {name}")
        position = held[1]
        mark = self.trading.mark(market, name) or position.entry_price
        spec = self.trading.spec(market, name)
        liq = margin.position_liquidation_price(position, spec.maint_margin) if spec is not None and spec.is_perp \
            else None
        problems = position_exit_problems(position.side, mark, liq, take_profit=take_profit, stop_loss=stop_loss)
        if problems:
            raise DomainError(problems[0].split(":")[0], "; ".join(p.split(": ", 1)[1] for p in problems))
        conditions = TradeConditions(take_profit=take_profit, stop_loss=stop_loss, trailing_percent=trailing_percent,
                                     alert_only=alert_only)
        armed = await self.store.read(self.store.conditions.armed, account, market, name)
        wanted = {"take_profit": take_profit, "stop_loss": stop_loss, "trailing_stop": trailing_percent}
        removed = [c for c in armed if c.kind in EXIT_KINDS and wanted[c.kind] is None and c.id is not None]
        for cond in removed:
            assert cond.id is not None
            await self.store.write(self.store.conditions.set_status, cond.id, "cancelled", reason="removed by user",
                                   ts=self.monitor.now())
        if conditions.has_exits:
            await self.monitor.attach_exits(account, market, conditions, name)
        else:
            await self.monitor.resync(name, account, market)
        parts = [f"{k.replace('_', ' ')} {v:g}" for k, v in wanted.items() if v is not None]
        detail = ", ".join(parts) or "all exits removed"
        if alert_only:
            detail += " (alert only)"
        self._journal(account, market, "manual", "edit exits", detail, name)
        return detail

    # ----- resting orders and armed conditions ---------------------------------------------------
    async def resting_orders(self, account: str | None = None) -> list[OrderRecord]:
        """Orders resting at a venue (open or partially filled), oldest first, from the journal."""
        rows = await self.store.read(self.store.orders.unresolved)
        return [r for r in rows if r.order.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)
                and (account is None or r.order.request.account == account)]

    def armed(self, account: str | None = None) -> list[ArmedRow]:
        """Armed entries and exits with the level each triggers at now (a trailing stop's current level)."""
        out: list[ArmedRow] = []
        for cond in self.store.conditions.armed(account=account):
            out.append(ArmedRow(cond, *self._level(cond)))
        return out

    def _level(self, cond: ConditionRecord) -> tuple[float | None, str]:
        p = cond.params
        if cond.kind == "entry":
            bounds = [f"≤ {p['price_below']:g}" for _ in [0] if p.get("price_below") is not None]
            bounds += [f"≥ {p['price_above']:g}" for _ in [0] if p.get("price_above") is not None]
            level = p.get("price_below") if p.get("price_below") is not None else p.get("price_above")
            return level, f"{p.get('side')} {p.get('size'):g} at {p.get('leverage'):g}x when {' or '.join(bounds)}"
        watch = self.monitor.watched(cond.account, cond.market, cond.venue or None)
        planned = watch.levels.get(cond.kind) if watch is not None else None
        level = planned[0] if planned is not None else p.get("price")
        if cond.kind == "trailing_stop":
            return level, f"trails {p.get('percent'):g} %"
        detail = f"at {p['price']:g}" if p.get("price") is not None else f"{p.get('percent'):g} % from entry"
        return level, detail

    async def cancel_order(self, venue: str, account: str, client_id: str) -> bool:
        target = self.trading.selector.venues.get(venue)
        if target is None:
            return False
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for drops a cancellation that lands as the
            # venue answers, and a cancel that should stop with the app would run on.
            async with asyncio.timeout(self.trading.orders.deadline):
                done = await target.cancel_order(account, client_id)
            async with asyncio.timeout(self.trading.orders.deadline):
                found = await target.order_by_client_id(account, client_id)
        except (VenueError, TimeoutError) as exc:
            # Outcome unknown: the venue may still have cancelled it. Its events will tell; nothing is re-sent.
            self._journal(account, "-", "manual", "cancel order: no answer", f"{client_id}: {exc}", venue)
            return False
        if found is not None:
            await self.trading.orders.record(found)  # journaled and published like any other order change
        market = found.request.market if found is not None else "-"
        self._journal(account, market, "manual", "cancel order" if done else "cancel refused", client_id, venue)
        return done

    async def replace_order(self, venue: str, account: str, client_id: str, price: float, size: float) -> TradeResult:
        """Edit a resting limit: cancel it, then place the new one (never both resting at once)."""
        order = await self._order(venue, account, client_id)
        if order is None:
            return TradeResult.refused("that order is no longer resting")
        if not await self.cancel_order(venue, account, client_id):
            return TradeResult.refused("the venue did not cancel it; nothing new was sent")
        remaining = size - order.filled_size if size > order.filled_size else size
        r = order.request
        result = await self.trading.execute_trade(r.side.value, remaining, r.market, account, leverage=r.leverage,
                                                  order_type=OrderType.LIMIT.value, price=price,
                                                  reduce_only=r.reduce_only, venue=venue, purpose="manual")
        self._journal(account, r.market, "manual", "replace order" if result.success else "replace refused",
                      f"{client_id} → {remaining:g} @ {price:g}: {result.message}", venue)
        return result

    async def _order(self, venue: str, account: str, client_id: str) -> Order | None:
        rows = await self.resting_orders(account)
        return next((r.order for r in rows if r.venue == venue and r.order.client_id == client_id), None)

    async def cancel_condition(self, condition_id: int) -> None:
        record = await self.store.read(self.store.conditions.get, condition_id)
        await self.monitor.cancel_condition(condition_id)
        if record is not None:
            self._journal(record.account, record.market, "manual", f"cancel {record.kind}", f"condition #{condition_id}",
                          record.venue or None)

    async def edit_condition(self, condition_id: int, level: float) -> TradeResult:
        """Move a condition's trigger: an exit gets a new price; an entry is re-armed at the new bound."""
        record = await self.store.read(self.store.conditions.get, condition_id)
        if record is None or record.status != "armed":
            return TradeResult.refused("that condition is no longer armed")
        venue = record.venue or self.trading.selector.primary
        p = record.params
        if record.kind == "entry":
            below = level if p.get("price_below") is not None else None
            above = level if below is None else None
            conditions = TradeConditions(
                entry_below=below, entry_above=above, alert_only=record.alert_only, take_profit=p.get("take_profit"),
                stop_loss=p.get("stop_loss"), take_profit_percent=p.get("take_profit_percent"),
                stop_loss_percent=p.get("stop_loss_percent"), trailing_percent=p.get("trailing_percent"))
            await self.monitor.cancel_condition(condition_id)
            result = await self.trading.execute_trade(str(p["side"]), float(p["size"]), record.market, record.account,
                                                      leverage=float(p["leverage"]), conditions=conditions, venue=venue)
        elif record.kind == "trailing_stop":
            await self.monitor.attach_exits(record.account, record.market,
                                            TradeConditions(trailing_percent=level, alert_only=record.alert_only), venue)
            result = TradeResult(True, message=f"trailing stop now {level:g} %")
        else:
            tp = level if record.kind == "take_profit" else None
            sl = level if record.kind == "stop_loss" else None
            await self.monitor.attach_exits(record.account, record.market,
                                            TradeConditions(take_profit=tp, stop_loss=sl, alert_only=record.alert_only),
                                            venue)
            result = TradeResult(True, message=f"{record.kind.replace('_', ' ')} now {level:g}")
        self._journal(record.account, record.market, "manual", f"edit {record.kind}",
                      f"condition #{condition_id} → {level:g}: {result.message}", venue)
        return result

    # ----- flatten all -------------------------------------------------------------------------
    async def positions(self, accounts: list[str]) -> list[tuple[str, Position]]:
        """Every open position of `accounts` on every venue, as (venue, position)."""
        out: list[tuple[str, Position]] = []
        for name, venue in self.trading.selector.venues.items():
            for account in accounts:
                try:
                    out.extend((name, p) for p in await venue.positions(account))
                except VenueError as exc:
                    log.warning("could not read %s positions on %s: %s", account, name, exc)
        return out

    async def flatten_all(self, accounts: list[str]) -> FlattenReport:
        """Cancel every resting order and armed condition first (so nothing re-opens), then close every
        position reduce-only at market on the venue that holds it."""
        report = FlattenReport()
        for account in accounts:
            self._journal(account, "*", "flatten", "flatten all", "requested by the user")
        for cond in await self.store.read(self.store.conditions.armed):
            if cond.account in accounts and cond.id is not None:
                await self.monitor.cancel_condition(cond.id)
                report.conditions_cancelled += 1
        for name, venue in self.trading.selector.venues.items():
            for account in accounts:
                try:
                    resting = [o for o in await venue.open_orders(account) if not o.status.is_final]
                except VenueError as exc:
                    report.failures.append(f"{name}: could not list {account}'s orders ({exc})")
                    continue
                for order in resting:
                    if await self.cancel_order(name, account, order.client_id):
                        report.orders_cancelled += 1
                    else:
                        report.failures.append(f"{order.request.market} order {order.client_id} not cancelled")
        for name, position in await self.positions(accounts):
            result = await self.trading.close_position(position.account, position.market, 1.0, reason="flatten",
                                                       venue=name)
            if result.success:
                report.positions_closed += 1
            else:
                report.failures.append(f"{position.market} on {name}: {result.message}")
            self._journal(position.account, position.market, "flatten", "close" if result.success else "close failed",
                          result.message, name)
        log.info("flatten all (%s): %s", ", ".join(accounts), report.summary)
        return report
