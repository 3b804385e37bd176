"""PositionMonitor: event-driven auto-trading on every tick, plus a slow reconciliation sweep.

State is keyed by (venue, account, market): every venue that holds positions is watched,
each with its own trigger book, so a tick costs O(log n + fired) whatever the number of
positions and conditions. Orders are never placed here: closes and entries go through
TradingService. The monitor learns of fills, positions and settings from bus events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from grace_desktop.domain import margin
from grace_desktop.domain.conditions import ExitRule
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Position
from grace_desktop.domain.staleness import StalenessWatch
from grace_desktop.domain.trigger_book import TriggerBook
from grace_desktop.services import watch as plans
from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.events import (
    ConditionArmed,
    EventBus,
    OrderUpdated,
    PositionUpdated,
    SettingsChanged,
    TradeClosed,
)
from grace_desktop.services.exit_conditions import ExitConditions, cancel_conditions, end_orphans
from grace_desktop.services.monitor_closes import CloseRunner
from grace_desktop.services.monitor_entries import EntryConditions
from grace_desktop.services.monitor_levels import LevelArming, PositionKey
from grace_desktop.services.monitor_streams import consume_prices, watch_staleness
from grace_desktop.services.tasks import log_if_failed
from grace_desktop.services.trading import TradingService
from grace_desktop.services.trailing_marks import TrailingMarks
from grace_desktop.services.watch import RATCHET, Watch, arm_trailing, fingerprint, pick_rule, plan_exits
from grace_desktop.storage import Storage
from grace_desktop.storage.records import ConditionRecord
from grace_desktop.venues.base import Tick, VenueError
from grace_desktop.venues.supervisor import SupervisedStream

log = logging.getLogger(__name__)
GUARD = ExitRule.LIQUIDATION_GUARD.value

RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
TRAILING_FLUSH_S = 1.0
# One equity point a minute is plenty for the curve (a point per sweep would be 28,800 a day).
EQUITY_EVERY_S = 60.0
STALE_AFTER_S = 30.0


class PositionMonitor(LevelArming):
    def __init__(
        self, trading: TradingService, store: Storage, bus: EventBus, alerts: AlertStream, *,
        sweep_interval: float = 3.0, retry_delays: tuple[float, ...] = RETRY_DELAYS,
        clock: Callable[[], float] = time.time, stale_after: float = STALE_AFTER_S,
    ) -> None:
        self.trading = trading
        self.store = store
        self.bus = bus
        self.alerts = alerts
        self.tasks = trading.tasks
        self.books: dict[str, TriggerBook] = {name: TriggerBook() for name in trading.selector.venues}
        self.sweep_interval = sweep_interval
        self.retry_delays = retry_delays
        self._clock = clock
        self._watches: dict[PositionKey, Watch] = {}
        self.trailing_marks = TrailingMarks(store, clock)
        self.staleness = StalenessWatch(stale_after)
        self._loops: set[asyncio.Task[Any]] = set()
        self._streams: dict[str, SupervisedStream] = {}
        self._equity_at: dict[tuple[str, str], float] = {}
        self._accounts: set[str] = set()
        self._running = False
        self._unsubscribe: Callable[[], None] | None = None
        self.entries = EntryConditions(self)
        self.exits = ExitConditions(store, clock)
        self.closes = CloseRunner(self)

    @property
    def running(self) -> bool:
        return self._running

    def now(self) -> float:
        return self._clock()

    def track_stream(self, venue: str, stream: SupervisedStream) -> None:
        """The venue's current price stream, so `backlog` can count what it still holds."""
        self._streams[venue] = stream

    @property
    def book(self) -> TriggerBook:
        """The primary venue's trigger book (what most callers and benchmarks look at)."""
        return self.books[self.trading.selector.primary]

    # ----- lifecycle -----------------------------------------------------------------------
    async def start(self, accounts: list[str]) -> None:
        self._running = True
        self._accounts.update(accounts)
        now = time.monotonic()
        for name, venue in self.trading.selector.venues.items():
            for market in self.trading.market_data.markets():
                if self.trading.spec(market, name) is not None:
                    self.staleness.expect(name, market, now)
            self._loops.add(self.tasks.spawn(consume_prices(self, name, venue), name=f"prices-{name}"))
        self._unsubscribe = self.bus.subscribe_async(self._on_event)
        await self.end_orphan_conditions()
        await self.entries.load()
        await self.sweep()
        for coro, name in ((self._sweep_forever(), "sweep"), (self._flush_forever(), "trailing-flush"),
                           (watch_staleness(self), "staleness")):
            self._loops.add(self.tasks.spawn(coro, name=name))

    async def stop(self) -> None:
        self._running = False
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self.tasks.cancel_all()
        await self.flush_trailing()

    @property
    def pending_tasks(self) -> int:
        """Work in flight (closes, entries, re-reads, order resolution); the long-lived loops are not counted."""
        return self.tasks.pending(self._loops)

    @property
    def backlog(self) -> int:
        """Ticks delivered by the venues that the monitor has not evaluated yet."""
        return sum(s.buffered for s in self._streams.values())

    def spawn(self, coro: Any, name: str = "") -> asyncio.Task[Any]:
        return self.tasks.spawn(coro, name=name)

    async def _sweep_forever(self) -> None:
        while self._running:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self.sweep()
                await self.trading.orders.flush_unjournaled()
            except Exception:
                log.exception("reconciliation sweep failed")

    async def _flush_forever(self) -> None:
        while self._running:
            await asyncio.sleep(TRAILING_FLUSH_S)
            await self.flush_trailing()

    async def flush_trailing(self) -> None:
        await self.trailing_marks.flush(self._watches)

    def positions_in(self, venue: str, market: str) -> int:
        return sum(1 for k in self._watches if k[0] == venue and k[2] == market)

    def is_blind(self, venue: str, market: str) -> bool:
        return self.staleness.is_stale(venue, market, time.monotonic())

    async def _on_event(self, event: object) -> None:
        """Bus events the monitor acts on; the publisher awaits this, so plans are current when it returns."""
        if not self._running:
            return
        if isinstance(event, PositionUpdated):
            await self._position_changed(event.venue, event.account, event.market, event.position)
        elif isinstance(event, OrderUpdated):
            order = event.order
            if event.has_exits or order.filled_size > 0 or order.status is OrderStatus.FILLED:
                # Exits were just kept or dropped with this outcome, or the position moved: re-plan it.
                await self.sync_account_market(order.request.account, order.request.market, event.venue or None)
        elif isinstance(event, TradeClosed):
            if event.trade.close_reason in ("liquidation", "limit"):
                await self.sync_account_market(event.trade.account, event.trade.market, event.trade.venue)
        elif isinstance(event, SettingsChanged):
            await self.sync_account(event.account)
            self._act_at_marks(event.account)
        elif isinstance(event, ConditionArmed) and event.condition.kind == "entry":
            self.entries.arm(event.condition)

    # ----- the hot path ---------------------------------------------------------------------
    def on_tick(self, tick: Tick) -> None:
        venue = tick.venue or self.trading.selector.primary
        self.trading.market_data.on_tick(tick)
        self.staleness.seen(venue, tick.market, time.monotonic())
        book = self.books.get(venue)
        if book is not None:
            fired = book.on_tick(tick.market, tick.price)
            if fired:
                self._handle(venue, fired, tick)
        self.bus.publish(tick)

    def _handle(self, venue: str, fired: list[Any], tick: Tick) -> None:
        by_position: dict[PositionKey, list[str]] = {}
        for key in fired:
            if key[0] == "entry":
                self.entries.fire(key[1], tick.price)
                continue
            _, account, market, rule = key
            by_position.setdefault((venue, account, market), []).append(rule)
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
                self.closes.act(pos_key, watch, rule, tick.price)

    # ----- positions ------------------------------------------------------------------------
    async def sweep(self) -> None:
        """Re-read every account's positions on every venue: picks up changes made elsewhere."""
        listed = await self.store.read(self.store.accounts.list)
        self._accounts |= {a.name for a in listed}
        armed = await self.store.read(self.store.conditions.armed)
        by_key: dict[PositionKey, list[ConditionRecord]] = {}
        for cond in armed:
            if cond.kind != "entry":
                by_key.setdefault((cond.venue, cond.account, cond.market), []).append(cond)
        for venue in self.trading.selector.venues:
            for account in sorted(self._accounts):
                await self.sync_account(account, venue, conditions=by_key)
                await asyncio.sleep(0)  # one account at a time: ticks keep flowing during a long sweep

    async def sync_account(self, account: str, venue: str | None = None,
                           conditions: dict[PositionKey, list[ConditionRecord]] | None = None) -> None:
        names = [venue] if venue is not None else list(self.trading.selector.venues)
        for name in names:
            await self._sync_account_on(account, name, conditions)

    async def _sync_account_on(self, account: str, name: str,
                               conditions: dict[PositionKey, list[ConditionRecord]] | None) -> None:
        selector = self.trading.selector
        try:
            positions = await selector.venues[name].positions(account)
            portfolio = await self.trading.portfolios.refresh(account, name) if positions or \
                name == selector.primary else None
        except VenueError as exc:
            selector.record_failure(name, str(exc))
            return
        # The venue answers again: a few failed sweeps must not refuse every new trade until a close succeeds.
        selector.record_success(name)
        now = self._clock()
        if portfolio is not None and now - self._equity_at.get((name, account), -EQUITY_EVERY_S) >= EQUITY_EVERY_S:
            self._equity_at[(name, account)] = now
            self.spawn(self.store.write(self.store.equity.record, account, now, margin.equity(portfolio),
                                        margin.free_collateral(portfolio)))
        if conditions is None:
            armed = await self.store.read(self.store.conditions.armed, account, None, name)
            conditions = {}
            for cond in armed:
                if cond.kind != "entry":
                    conditions.setdefault((name, account, cond.market), []).append(cond)
        seen = {p.market for p in positions}
        for position in positions:
            self._sync(name, position, conditions.get((name, account, position.market), []))
        for key in [k for k in self._watches if k[0] == name and k[1] == account and k[2] not in seen]:
            if not self.closes.closing(key):  # a close in flight re-reads when it is done
                await self._forget(key, closed=True)

    async def sync_account_market(self, account: str, market: str, venue: str | None = None) -> None:
        self._accounts.add(account)
        names = [venue] if venue is not None else list(self.trading.selector.venues)
        for name in names:
            try:
                positions = await self.trading.selector.venues[name].positions(account)
            except VenueError:
                continue
            await self._position_changed(name, account, market, next((p for p in positions if p.market == market), None))

    async def resync(self, venue: str, account: str, market: str) -> None:
        await self.sync_account_market(account, market, venue)

    async def _position_changed(self, venue: str, account: str, market: str, position: Position | None) -> None:
        key = (venue, account, market)
        if position is None:
            if not self.closes.closing(key):
                await self._forget(key, closed=True)
            return
        armed = await self.store.read(self.store.conditions.armed, account, market, venue)
        self._sync(venue, position, [c for c in armed if c.kind != "entry"], force=True)

    def _sync(self, venue: str, position: Position, exits: list[ConditionRecord], force: bool = False) -> None:
        key = (venue, position.account, position.market)
        pending = self.trading.orders.awaiting_exits
        exits = [c for c in exits if not pending(c.params.get("client_id"))]
        if self.closes.closing(key):
            return
        watch = self._watches.get(key)
        if watch is not None and watch.position.side is not position.side:
            # A flip closed the position those exits were set for: a long's "take profit at 110"
            # would close the new short at once. Its conditions end here.
            self._drop_watch(key)
            self.spawn(self._end_conditions(watch, "position flipped"))
            watch = None
        settings = self.trading.settings(position.account)
        ids = tuple(c.id for c in exits if c.id is not None)
        liq = plans.cross_liquidation(self.trading.portfolio(position.account, venue), position,
                                self.trading.market_data.venue_markets(venue))
        if watch is not None and not force and watch.fingerprint == fingerprint(position, settings, ids, liq):
            return
        spec = self.trading.spec(position.market, venue) or self.trading.spec(position.market)
        if spec is None:
            return
        mark = self.trading.mark(position.market, venue) or position.entry_price
        new = plan_exits(position, spec, settings, exits, mark, liq)
        if watch is not None:
            # Alert-only rules stay quiet once reported, unless the entry moved or auto-trading was just
            # switched on (then they must be able to act).
            same_mode = watch.settings is not None and watch.settings.auto_trading_enabled == settings.auto_trading_enabled
            if watch.position.entry_price == position.entry_price and same_mode:
                new.alerted = watch.alerted
            if watch.trailing is not None and new.trailing is not None:
                new.trailing.extreme = watch.trailing.extreme  # keep the high-water mark across adds
                arm_trailing(new)
            self._disarm(key, watch)
        elif new.trailing is not None:
            self.trailing_marks.resume(venue, position, new)
        self._watches[key] = new
        for level in new.levels:
            if level not in new.alerted:
                self._arm_level(key, level, new)
        # A level new or moved since the last plan (an attached exit armed once its order is known to have
        # filled) may already be crossed. The guard's own level is left to the next tick: after its
        # reduce it is armed again at the same place, and acting now would close what it meant to keep.
        before = {} if watch is None else watch.levels
        if any(name != GUARD and name not in new.alerted and before.get(name) != level
               for name, level in new.levels.items()):
            self._act_at_mark(venue, position.market)

    def _drop_watch(self, key: PositionKey) -> Watch | None:
        self.closes.forget(key)
        watch = self._watches.pop(key, None)
        if watch is not None:
            self._disarm(key, watch)
            if watch.trailing is not None:
                self.trailing_marks.forget(key)
        return watch

    async def _forget(self, key: PositionKey, closed: bool) -> None:
        watch = self._drop_watch(key)
        if watch is not None and closed:
            await self._end_conditions(watch, "position closed")

    async def _end_conditions(self, watch: Watch, reason: str) -> None:
        if watch.condition_ids:
            await self.store.write(cancel_conditions, self.store, watch.condition_ids, reason, self._clock())

    async def end_orphan_conditions(self) -> int:
        """At start-up: an armed exit whose position is gone ends now (unless its order is still open)."""
        waiting = {o.client_id for o in self.trading.orders.unresolved()}
        return await end_orphans(self.store, self.trading.selector.venues, self.trading.selector.primary,
                                 waiting, self._clock)

    # ----- conditions the window manages -------------------------------------------------------
    async def attach_exits(self, account: str, market: str, conditions: Any, venue: str | None = None) -> None:
        """Give an open position new exits (the newest of each kind wins), then re-plan it."""
        name = venue or self.trading.selector.primary
        await self.exits.attach(name, account, market, conditions)
        await self.resync(name, account, market)

    def conditions(self, account: str) -> list[ConditionRecord]:
        return self.store.conditions.armed(account=account)

    async def cancel_condition(self, condition_id: int) -> None:
        record = await self.store.read(self.store.conditions.get, condition_id)
        if record is None:
            return
        await self.store.write(self.store.conditions.set_status, condition_id, "cancelled",
                               reason="cancelled by user", ts=self._clock())
        if record.kind == "entry":
            self.entries.disarm(condition_id)
        else:
            await self.resync(record.venue or self.trading.selector.primary, record.account, record.market)

    def decide(self, account: str, market: str, rule: str, price: float | None, action: str, detail: str) -> None:
        """Journal a decision behind the queued writes; the close it describes never waits for it."""
        try:
            self.store.write_later(self.store.decisions.record, account, market, rule, price, action, detail,
                                   self._clock()).add_done_callback(log_if_failed(f"decision {rule} {action}"))
        except Exception:
            log.exception("could not journal decision %s %s", rule, action)

    def watched(self, account: str, market: str, venue: str | None = None) -> Watch | None:
        if venue is not None:
            return self._watches.get((venue, account, market))
        primary = self._watches.get((self.trading.selector.primary, account, market))
        if primary is not None:
            return primary
        return next((w for (v, a, m), w in self._watches.items() if a == account and m == market), None)

