"""PositionMonitor: event-driven auto-trading on every tick, plus a slow reconciliation sweep.

Each tick goes through the domain TriggerBook, so it costs O(log n + fired) whatever the
number of positions and conditions. Orders are never placed here directly: closes and
entries go through TradingService like any other trade.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from grace_desktop.domain import margin
from grace_desktop.domain.conditions import ExitRule
from grace_desktop.domain.enums import OrderType
from grace_desktop.domain.models import Position
from grace_desktop.domain.trigger_book import TriggerBook
from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.events import EventBus, OrderUpdated, TradeClosed
from grace_desktop.services.exit_conditions import ExitConditions
from grace_desktop.services.monitor_entries import EntryConditions
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.services.trading import TradingService
from grace_desktop.services.trailing_marks import TrailingMarks
from grace_desktop.services.watch import RATCHET, Watch, arm_trailing, fingerprint, pick_rule, plan_exits
from grace_desktop.storage import Storage
from grace_desktop.venues.base import Tick, VenueError

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
# Raise the failed-close alert on the first failure and then every so many.
ALERT_EVERY = 5
TRAILING_FLUSH_S = 1.0
# One equity point a minute is plenty for the curve (a point per sweep would be 28,800 a day).
EQUITY_EVERY_S = 60.0

PositionKey = tuple[str, str]


class PositionMonitor:
    def __init__(
        self, trading: TradingService, store: Storage, bus: EventBus, alerts: AlertStream, *,
        sweep_interval: float = 3.0, retry_delays: tuple[float, ...] = RETRY_DELAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.trading = trading
        self.store = store
        self.bus = bus
        self.alerts = alerts
        self.book = TriggerBook()
        self.sweep_interval = sweep_interval
        self.retry_delays = retry_delays
        self._clock = clock
        self._watches: dict[PositionKey, Watch] = {}
        self._closing: set[PositionKey] = set()
        self._guard_reduced: set[PositionKey] = set()
        self.trailing_marks = TrailingMarks(store, clock)
        self._loops: list[asyncio.Task[Any]] = []
        self._equity_at: dict[str, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._accounts: set[str] = set()
        self._running = False
        self._unsubscribe: Callable[[], None] | None = None
        self.entries = EntryConditions(self)
        trading.condition_sink = self.entries.arm_new
        self.exits = ExitConditions(store, self.sync_account_market, clock)
        trading.exit_hooks = self.exits
        trading.after_fill.append(self.sync_account_market)
        trading.after_settings.append(self.sync_account)

    # ----- lifecycle -----------------------------------------------------------------------
    async def start(self, accounts: list[str]) -> None:
        self._running = True
        self._accounts.update(accounts)
        for venue in self.trading.selector.venues.values():
            listen = getattr(venue, "add_tick_listener", None)
            if listen is not None:
                listen(self.on_tick)
            else:
                self.spawn(self._consume(venue))
        self._unsubscribe = self.bus.subscribe(self._on_event)
        await self.entries.load()
        await self.sweep()
        self._loops = [self.spawn(self._sweep_forever()), self.spawn(self._flush_forever())]

    async def _flush_forever(self) -> None:
        while self._running:
            await asyncio.sleep(TRAILING_FLUSH_S)
            await self.flush_trailing()

    async def flush_trailing(self) -> None:
        await self.trailing_marks.flush(self._watches)

    async def stop(self) -> None:
        self._running = False
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for venue in self.trading.selector.venues.values():
            remove = getattr(venue, "remove_tick_listener", None)
            if remove is not None:
                remove(self.on_tick)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        await self.flush_trailing()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start a task and hold a strong reference until it ends (the loop only keeps weak ones)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def pending_tasks(self) -> int:
        """Work in flight (closes, entries, re-reads); the sweep and flush loops are not counted."""
        return len(self._tasks) - sum(1 for t in self._loops if not t.done())

    async def _consume(self, venue: Any) -> None:
        async for tick in venue.subscribe_prices(None):
            self.on_tick(tick)

    async def _sweep_forever(self) -> None:
        while self._running:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self.sweep()
            except Exception:
                log.exception("reconciliation sweep failed")

    def _on_event(self, event: object) -> None:
        """Positions that change at the venue later (resting limits filling, liquidations) are re-read now."""
        if not self._running:
            return
        if isinstance(event, OrderUpdated) and event.order.request.order_type is OrderType.LIMIT:
            if event.order.filled_size > 0:
                self.spawn(self.sync_account_market(event.account, event.order.request.market))
        elif isinstance(event, TradeClosed) and event.trade.close_reason in ("liquidation", "limit"):
            self.spawn(self.sync_account_market(event.trade.account, event.trade.market))

    # ----- the hot path ---------------------------------------------------------------------
    def on_tick(self, tick: Tick) -> None:
        self.trading.on_tick(tick)
        fired = self.book.on_tick(tick.market, tick.price)
        if fired:
            self._handle(fired, tick)
        self.bus.publish(tick)

    def _handle(self, fired: list[Any], tick: Tick) -> None:
        by_position: dict[PositionKey, list[str]] = {}
        for key in fired:
            if key[0] == "entry":
                self.entries.fire(key[1], tick.price)
                continue
            _, account, market, rule = key
            by_position.setdefault((account, market), []).append(rule)
        for pos_key, rules in by_position.items():
            watch = self._watches.get(pos_key)
            if watch is None:
                continue
            if RATCHET in rules and watch.trailing is not None:
                watch.trailing.update(tick.price)
                self.trailing_marks.moved(pos_key, watch)
                arm_trailing(watch)
                self._arm_level(pos_key, RATCHET, watch)
                self._arm_level(pos_key, ExitRule.TRAILING_STOP.value, watch)
            rule = pick_rule(rules)
            if rule is not None:
                self._act(pos_key, watch, rule, tick.price)

    def _act(self, pos_key: PositionKey, watch: Watch, rule: ExitRule, price: float) -> None:
        account, market = pos_key
        settings = self.trading.settings(account)
        if not settings.auto_trading_enabled:
            if rule.value not in watch.alerted:
                watch.alerted.add(rule.value)
                self.alerts.warning(f"{_title(rule)} reached", f"{market} at {price:g}; auto-trading is off, no order sent",
                                    account=account, market=market)
                self._decide(account, market, rule.value, price, "alert", "auto-trading off")
            return
        if pos_key in self._closing:
            return  # one close per position, however many rules cross
        fraction = 1.0
        if rule is ExitRule.LIQUIDATION_GUARD and pos_key not in self._guard_reduced:
            # Isolated margin keeps the liquidation price on a proportional reduce, so the guard
            # acts in two steps: reduce first, close the rest if the mark is still in the zone.
            fraction = settings.liquidation_guard_reduce_fraction
        self._closing.add(pos_key)
        for level in watch.levels:  # disarm the rest until the position is re-read
            self.book.cancel(("exit", account, market, level))
        self.spawn(self._close(pos_key, rule, price, fraction, watch))

    async def _close(self, pos_key: PositionKey, rule: ExitRule, price: float, fraction: float, watch: Watch) -> None:
        account, market = pos_key
        action = "close" if fraction >= 1 else f"reduce {fraction:.0%}"
        attempt = 0
        try:
            while True:
                try:
                    result = await self.trading.close_position(account, market, fraction, reason=rule.value)
                except Exception as exc:  # keep retrying: an unprotected position is the worst outcome
                    log.exception("close of %s %s raised", account, market)
                    ok, gone, why = False, False, str(exc) or type(exc).__name__
                else:
                    ok = result.success
                    why = "; ".join(result.reasons)
                    gone = not ok and why.startswith("no open position")
                if ok:
                    if rule is ExitRule.LIQUIDATION_GUARD and fraction < 1:
                        self._guard_reduced.add(pos_key)
                    self._decide(account, market, rule.value, price, action, result.message)
                    if fraction >= 1:  # after a reduce the rest stays open under the same exits
                        self._set_conditions(watch, "fired", price, rule.value)
                    self.alerts.raise_alert(
                        "critical" if rule is ExitRule.LIQUIDATION_GUARD else "info",
                        f"{_title(rule)}: {action}", f"{market} {action} at about {price:g}: {result.message}",
                        account=account, market=market,
                    )
                    return
                if gone:
                    self._decide(account, market, rule.value, price, "none", "position already closed")
                    return
                attempt += 1
                self._decide(account, market, rule.value, price, f"{action} failed", why)
                if attempt == 1 or attempt % ALERT_EVERY == 0:
                    self.alerts.error(f"{_title(rule)}: {action} failed (attempt {attempt})",
                                      f"{market}: {why}; retrying", account=account, market=market)
                await asyncio.sleep(self.retry_delays[min(attempt - 1, len(self.retry_delays) - 1)])
                if not self.trading.settings(account).auto_trading_enabled:
                    # The user stepped in: switching auto-trading off stops the retries.
                    self._decide(account, market, rule.value, price, "gave up", "auto-trading switched off")
                    self.alerts.warning(f"{_title(rule)}: {action} abandoned",
                                        f"{market}: auto-trading was switched off after {attempt} failed "
                                        "attempt(s); the position is open", account=account, market=market)
                    return
        finally:
            self._closing.discard(pos_key)
            if self._running:
                self.spawn(self.sync_account_market(account, market))

    # ----- positions ------------------------------------------------------------------------
    async def sweep(self) -> None:
        """Re-read every account's positions from the venues: picks up changes made elsewhere."""
        accounts = set(self._accounts) | {a.name for a in await asyncio.to_thread(self.store.accounts.list)}
        self._accounts = accounts
        for account in sorted(accounts):
            await self.sync_account(account)

    async def sync_account(self, account: str) -> None:
        venue_name = self.trading.selector.primary
        venue = self.trading.selector.venues[venue_name]
        try:
            positions = await venue.positions(account)
            portfolio = await self.trading.refresh_portfolio(account, venue_name)
        except VenueError as exc:
            self.trading.selector.record_failure(venue_name, str(exc))
            return
        # The venue answers again: without this, a few failed sweeps would refuse every new trade
        # until a close happened to succeed.
        self.trading.selector.record_success(venue_name)
        now = self._clock()
        if now - self._equity_at.get(account, -EQUITY_EVERY_S) >= EQUITY_EVERY_S:
            self._equity_at[account] = now
            self.store.equity.record(account, now, margin.equity(portfolio), margin.free_collateral(portfolio))
        seen = {p.market for p in positions}
        for position in positions:
            self._sync(position)
        # A close in flight settles its own conditions (fired, at its price) and re-reads after.
        for key in [k for k in self._watches if k[0] == account and k[1] not in seen and k not in self._closing]:
            self._forget(key, closed=True)

    async def sync_account_market(self, account: str, market: str) -> None:
        self._accounts.add(account)
        venue = self.trading.selector.venues[self.trading.selector.primary]
        try:
            positions = await venue.positions(account)
        except VenueError:
            return
        position = next((p for p in positions if p.market == market), None)
        if position is None:
            if (account, market) not in self._closing:  # else the close settles it, then re-reads
                self._forget((account, market), closed=True)
        else:
            self._sync(position, force=True)

    def _sync(self, position: Position, force: bool = False) -> None:
        key = position.key
        if key in self._closing:
            return
        watch = self._watches.get(key)
        if watch is not None and watch.position.side is not position.side:
            # A flip closed the position those exits were set for: a long's "take profit at 110"
            # would close the new short at once. Its conditions end here.
            self._forget(key, closed=True)
            watch = None
        conditions = self.store.conditions.armed(account=position.account, market=position.market)
        exits = [c for c in conditions if c.kind != "entry"]
        settings = self.trading.settings(position.account)
        if watch is not None and not force and watch.fingerprint == fingerprint(
            position, settings, tuple(c.id for c in exits if c.id is not None)
        ):
            return
        spec = self.trading.spec(position.market)
        if spec is None:
            return
        mark = self.trading.mark(position.market) or position.entry_price
        new = plan_exits(position, spec, settings, exits, mark)
        if watch is not None:
            # Alert-only rules stay quiet once reported, unless the entry moved or auto-trading was just
            # switched on (then they must be able to act).
            same_mode = watch.settings is not None and watch.settings.auto_trading_enabled == settings.auto_trading_enabled
            if watch.position.entry_price == position.entry_price and same_mode:
                new.alerted = watch.alerted
            if watch.trailing is not None and new.trailing is not None and watch.position.side is position.side:
                new.trailing.extreme = watch.trailing.extreme  # keep the high-water mark across adds
                arm_trailing(new)
            self._disarm(key, watch)
        elif new.trailing is not None:
            self.trailing_marks.resume(position, new)
        self._watches[key] = new
        for level in new.levels:
            if level not in new.alerted:
                self._arm_level(key, level, new)

    def _arm_level(self, key: PositionKey, level: str, watch: Watch) -> None:
        price, direction = watch.levels[level]
        self.book.arm(("exit", key[0], key[1], level), key[1], price, direction)

    def _disarm(self, key: PositionKey, watch: Watch) -> None:
        for level in watch.levels:
            self.book.cancel(("exit", key[0], key[1], level))

    def _forget(self, key: PositionKey, closed: bool) -> None:
        self._guard_reduced.discard(key)
        watch = self._watches.pop(key, None)
        if watch is None:
            return
        self._disarm(key, watch)
        if watch.trailing is not None:
            self.trailing_marks.forget(key)
        if closed:
            self._set_conditions(watch, "cancelled", None, "position closed")

    async def attach_exits(self, account: str, market: str, conditions: TradeConditions) -> None:
        """Give an open position new exits (the newest of each kind wins), then re-plan it."""
        await self.exits.attach(account, market, conditions)

    def conditions(self, account: str) -> list[ConditionRecord]:
        return self.store.conditions.armed(account=account)

    async def cancel_condition(self, condition_id: int) -> None:
        record = self.store.conditions.get(condition_id)
        if record is None:
            return
        self.store.conditions.set_status(condition_id, "cancelled", reason="cancelled by user", ts=self._clock())
        if record.kind == "entry":
            self.entries.disarm(condition_id)
        else:
            await self.sync_account_market(record.account, record.market)

    def _set_conditions(self, watch: Watch, status: str, price: float | None, reason: str) -> None:
        for cond_id in watch.condition_ids:
            self.store.conditions.set_status(cond_id, status, fired_price=price, reason=reason, ts=self._clock())

    def _decide(self, account: str, market: str, rule: str, price: float, action: str, detail: str) -> None:
        try:
            self.store.decisions.record(account, market, rule, price, action, detail, self._clock())
        except Exception:
            log.exception("could not journal decision %s %s", rule, action)

    def watched(self, account: str, market: str) -> Watch | None:
        return self._watches.get((account, market))


def _title(rule: ExitRule) -> str:
    return rule.value.replace("_", " ").capitalize()
