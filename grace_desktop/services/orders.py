"""The order lifecycle: intent (durable before sending) -> submitted -> partially filled -> filled,
or cancelled / rejected / expired, plus UNKNOWN: sent, outcome not known yet.

One service owns it. A timeout or a broken connection never becomes a final failure while
the venue may still act: the order is UNKNOWN and resolved in the background by client id,
by fills and by position changes, never by sending it again. Whoever needs the outcome
(the monitor before retrying a close, exits waiting for their order) awaits `resolved()`.
With the disk full, only reduce-only orders are still sent: their intent is kept in
memory and journaled when space returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Fill, Order, OrderRequest
from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.events import EventBus, OrderUpdated
from grace_desktop.services.exit_conditions import exit_records, outcome_of, settle_exits
from grace_desktop.services.selector import VenueSelector
from grace_desktop.services.tasks import TaskSupervisor, within
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage import Storage
from grace_desktop.storage.errors import StorageError
from grace_desktop.storage.records import ConditionRecord
from grace_desktop.venues.base import NotSent, OrderRejected, RateLimited, Venue, VenueError

log = logging.getLogger(__name__)

RESOLVE_DELAYS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
# Statuses that end what a close or an exit is waiting for (a resting order is an answer too).
_ANSWERED = frozenset({OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED, OrderStatus.OPEN}) | frozenset(
    s for s in OrderStatus if s.is_final
)


def storage_full(exc: BaseException) -> bool:
    return type(exc).__name__ == "StorageFullError" or "disk is full" in str(exc) or "disk full" in str(exc)


@dataclass
class Tracked:
    venue: str
    order: Order
    purpose: str
    position_before: float | None  # size of the position a reduce-only order was sized from
    has_exits: bool = False


class OrderLifecycle:
    def __init__(
        self, store: Storage, selector: VenueSelector, bus: EventBus, alerts: AlertStream, tasks: TaskSupervisor,
        *, clock: Callable[[], float], deadline: float = 10.0, resolve_delays: tuple[float, ...] = RESOLVE_DELAYS,
    ) -> None:
        self.store = store
        self.selector = selector
        self.bus = bus
        self.alerts = alerts
        self.tasks = tasks
        self._clock = clock
        self.deadline = deadline
        self.resolve_delays = resolve_delays
        self._tracked: dict[str, Tracked] = {}
        self._waiters: dict[str, list[asyncio.Future[Order]]] = {}
        self._resolvers: dict[str, asyncio.Task[None]] = {}
        # Journal writes that could not be made (disk full): replayed in order when space returns.
        self._unjournaled: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
        self._running = True

    # ----- sending -----------------------------------------------------------------------
    async def send(
        self, venue_name: str, request: OrderRequest, *, purpose: str = "", exits: TradeConditions | None = None,
        position_before: float | None = None, trigger_price: float | None = None,
    ) -> Order:
        """Journal the intent (and the exits that wait for it), send once, and journal what is known."""
        venue = self.selector.venues[venue_name]
        now = self._clock()
        intent = Order(request, OrderStatus.INTENT, created_at=now, updated_at=now)
        try:
            # A protective close's intent goes ahead of queued journaling: it holds up the close itself.
            write = self.store.write_first if request.reduce_only else self.store.write
            await write(self._record_intent, intent, venue_name, purpose, exits, trigger_price)
        except StorageError as exc:
            if not (storage_full(exc) and request.reduce_only):
                reason = f"not sent: the journal could not record the order ({exc})"
                if storage_full(exc):
                    self.alerts.raise_alert("critical", "Disk full", f"{exc}; new trades are refused, "
                                            "protective closes are still sent")
                return intent.with_status(OrderStatus.REJECTED, reason=reason, updated_at=self._clock())
            # A protective close must still go out: its intent waits in memory for space.
            self._unjournaled.append(("intent", (intent, venue_name, purpose, None, trigger_price), {}))
            self.alerts.raise_alert("critical", "Disk full", f"{exc}; sending the {purpose or 'reduce-only'} close "
                                    "anyway, it will be journaled when space returns",
                                    account=request.account, market=request.market)
        self._tracked[request.client_id] = Tracked(venue_name, intent, purpose, position_before, exits is not None)
        try:
            order = await within(venue.place_order(request), self.deadline)
        except OrderRejected as exc:
            self.selector.record_success(venue_name)  # the venue answered; it just said no
            order = intent.with_status(OrderStatus.REJECTED, reason=str(exc), updated_at=self._clock())
        except (NotSent, RateLimited) as exc:
            # Provably not acted on: nothing may fill, so this is final (a caller may try again).
            self.selector.record_failure(venue_name, str(exc))
            said = str(exc)
            reason = said if said.startswith("not sent") else f"not sent: {said}"
            order = intent.with_status(OrderStatus.FAILED, reason=reason, updated_at=self._clock())
        except (TimeoutError, VenueError, OSError) as exc:
            reason = str(exc) or f"no answer within {self.deadline:g} s"
            self.selector.record_failure(venue_name, reason)
            order = await self._look_up(venue, intent) or intent.with_status(
                OrderStatus.UNKNOWN, reason=f"sent, outcome not known yet: {reason}", updated_at=self._clock())
            if order.status is OrderStatus.UNKNOWN and venue.landing_window <= 0:
                # The venue acts within the call or never (in-process): not there now means never.
                order = order.with_status(OrderStatus.FAILED, reason=f"not placed: {reason}")
        else:
            self.selector.record_success(venue_name)
            if order.status is OrderStatus.INTENT:
                order = order.with_status(OrderStatus.SUBMITTED)
        await self.record(order)
        return order

    def _record_intent(self, intent: Order, venue: str, purpose: str, exits: TradeConditions | None,
                       trigger_price: float | None = None) -> None:
        request = intent.request
        if exits is None:  # one transaction of its own: the fewest statements before a close may go out
            self.store.orders.record_intent(intent, venue, purpose=purpose, trigger_price=trigger_price)
            return
        with self.store.transaction():
            self.store.orders.record_intent(intent, venue, purpose=purpose, trigger_price=trigger_price)
            if exits is not None:  # exits wait, tied to the client id, for the order's outcome
                for kind, params in exit_records(exits):
                    self.store.conditions.add(ConditionRecord(
                        request.account, request.market, kind, {**params, "client_id": request.client_id},
                        created_at=intent.created_at, venue=venue, alert_only=kind in exits.alert_kinds))

    async def _look_up(self, venue: Venue, intent: Order) -> Order | None:
        try:
            return await within(
                venue.order_by_client_id(intent.request.account, intent.client_id), self.deadline)
        except (TimeoutError, VenueError, OSError):
            return None

    # ----- recording and resolving -------------------------------------------------------
    async def record(self, order: Order) -> None:
        """Journal the order's state, tell the bus, and keep resolving it while its outcome is open."""
        tracked = self._tracked.get(order.client_id)
        if tracked is None:
            return
        previous = tracked.order
        if previous.status.is_final and not order.status.is_final:
            return  # a late, older report never reopens an order
        tracked.order = order
        settle = outcome_of(order) if tracked.has_exits else None
        try:
            await self.store.write(self._update_row, order, settle)
            if settle is not None:
                tracked.has_exits = False  # settled with this row; later updates leave them be
        except StorageError as exc:
            self._unjournaled.append(("update", (order, settle), {}))
            log.error("could not journal order %s: %s", order.client_id, exc)
        await self.bus.publish_async(OrderUpdated(order.request.account, order, tracked.venue, tracked.purpose,
                                                  settle is not None))
        if order.status in _ANSWERED:
            for fut in self._waiters.pop(order.client_id, []):
                if not fut.done():
                    fut.set_result(order)
        if order.status.is_final:
            self._tracked.pop(order.client_id, None)
        elif order.status.needs_resolution or order.status.is_live:
            self._ensure_resolver(order.client_id)

    def _update_row(self, order: Order, settle: bool | None = None) -> None:
        """The order's row, and the exits that waited for this outcome, in one transaction."""
        with self.store.transaction():
            self.store.orders.update(
                order.client_id, status=order.status, venue_order_id=order.venue_order_id,
                filled_size=order.filled_size or None, avg_fill_price=order.avg_fill_price,
                reason=order.reason or None)
            if settle is not None:
                r = order.request
                settle_exits(self.store, order.client_id, r.account, r.market, settle, order.status.value,
                             self._clock())

    def _ensure_resolver(self, client_id: str) -> None:
        task = self._resolvers.get(client_id)
        if (task is None or task.done()) and self._running:
            self._resolvers[client_id] = self.tasks.spawn(self._resolve(client_id), name=f"resolve-{client_id}")

    async def _resolve(self, client_id: str) -> None:
        attempt = 0
        while self._running:
            tracked = self._tracked.get(client_id)
            if tracked is None or tracked.order.status.is_final:
                return
            await asyncio.sleep(self.resolve_delays[min(attempt, len(self.resolve_delays) - 1)])
            attempt += 1
            tracked = self._tracked.get(client_id)
            if tracked is None:
                return
            found = await self._find(tracked)
            if found is None and self._cannot_land(tracked):
                found = tracked.order.with_status(
                    OrderStatus.FAILED, updated_at=self._clock(),
                    reason=f"never reached {tracked.venue}: unknown to it {self._clock() - tracked.order.created_at:.0f} s "
                           "after sending, no fill and no position change")
            if found is not None and found != tracked.order:
                await self.record(found)
            if tracked.order.status is OrderStatus.OPEN:
                return  # resting: its fills and cancels arrive as venue events

    async def _find(self, tracked: Tracked) -> Order | None:
        """What the venue says about the order: by client id, then by its fills, then by the position."""
        venue = self.selector.venues.get(tracked.venue)
        if venue is None:
            return None
        order = tracked.order
        request = order.request
        found = await self._look_up(venue, order)
        if found is not None:
            if found.status is OrderStatus.INTENT:
                found = found.with_status(OrderStatus.SUBMITTED)
            return found
        try:
            fills = await within(venue.fills(request.account, since=order.created_at - 1), self.deadline)
        except (TimeoutError, VenueError, OSError):
            fills = []
        mine = [f for f in fills if f.client_id == order.client_id]
        if mine:
            return _from_fills(order, mine)
        if request.reduce_only and tracked.position_before is not None:
            try:
                positions = await within(venue.positions(request.account), self.deadline)
            except (TimeoutError, VenueError, OSError):
                return None
            now = next((p.size for p in positions if p.market == request.market), 0.0)
            if tracked.position_before - now >= request.size - 1e-12 and self._only_order_on(tracked):
                return order.with_status(OrderStatus.FILLED, filled_size=request.size, updated_at=self._clock(),
                                         reason="filled: the position shrank by exactly this order's size")
        return None

    def _cannot_land(self, tracked: Tracked) -> bool:
        """Past the venue's landing window an order it does not know can no longer execute."""
        venue = self.selector.venues.get(tracked.venue)
        if venue is None or tracked.order.status is not OrderStatus.UNKNOWN:
            return False
        return self._clock() - tracked.order.created_at >= venue.landing_window

    def awaiting_exits(self, client_id: object) -> bool:
        """Exits staged with this order wait for its outcome: nobody arms them yet."""
        tracked = self._tracked.get(client_id) if isinstance(client_id, str) else None
        return tracked is not None and tracked.has_exits

    def _only_order_on(self, tracked: Tracked) -> bool:
        """A position change explains an order only if no other order of ours could have made it."""
        r = tracked.order.request
        return not any(
            t is not tracked and t.venue == tracked.venue and t.order.request.account == r.account
            and t.order.request.market == r.market and not t.order.status.is_final
            for t in self._tracked.values()
        )

    def on_fill(self, venue: str, account: str, fill: Fill, order: Order | None) -> None:
        """A venue reported a fill: the order it belongs to advances (called on the loop)."""
        tracked = self._tracked.get(fill.client_id)
        if tracked is None or tracked.venue != venue:
            return
        new = order if order is not None else _from_fills(tracked.order, [fill], add=True)
        self.tasks.spawn(self.record(new), name=f"fill-{fill.client_id}")

    def on_order_changed(self, venue: str, order: Order) -> None:
        tracked = self._tracked.get(order.client_id)
        if tracked is None or tracked.venue != venue:
            return
        self.tasks.spawn(self.record(order), name=f"order-{order.client_id}")

    async def resolved(self, client_id: str, timeout: float | None = None) -> Order | None:
        """The order once the venue has answered (filled, resting, or final); None if still unknown by then."""
        tracked = self._tracked.get(client_id)
        if tracked is None:
            record = await self.store.read(self.store.orders.get, client_id)
            return None if record is None else record.order
        if tracked.order.status in _ANSWERED:
            return tracked.order
        fut: asyncio.Future[Order] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(client_id, []).append(fut)
        try:
            return await within(asyncio.shield(fut), timeout)
        except TimeoutError:
            return None

    def status(self, client_id: str) -> Order | None:
        tracked = self._tracked.get(client_id)
        return None if tracked is None else tracked.order

    def unresolved(self) -> list[Order]:
        return [t.order for t in self._tracked.values() if t.order.status.needs_resolution]

    # ----- start-up and disk-full recovery -------------------------------------------------
    async def resume(self) -> list[Order]:
        """Pick up what the last run left open (intent, submitted, unknown, resting): resolve, never resend."""
        settled: list[Order] = []
        records = await self.store.read(self.store.orders.unresolved)
        armed = await self.store.read(self.store.conditions.armed) if records else []
        for record in records:
            if record.venue not in self.selector.venues:
                continue
            order = record.order
            staged = any(c.params.get("client_id") == order.client_id for c in armed)
            self._tracked[order.client_id] = Tracked(record.venue, order, record.purpose, None, staged)
            found = await self._find(self._tracked[order.client_id])
            if found is None and order.status is OrderStatus.INTENT:
                # Killed between the intent and the send: the venue never got it, and now never will.
                found = order.with_status(OrderStatus.FAILED, reason="not found at the venue after a restart; "
                                          "not sent", updated_at=self._clock())
            if found is not None and found != order:
                await self.record(found)
                settled.append(found)
            elif not order.status.is_final:
                self._ensure_resolver(order.client_id)
        return settled

    async def flush_unjournaled(self) -> int:
        """Journal what the disk had no room for; returns how many writes are still waiting."""
        while self._unjournaled:
            kind, args, _ = self._unjournaled[0]
            try:
                if kind == "intent":
                    await self.store.write(self._record_intent, *args)  # type: ignore[arg-type]
                else:
                    await self.store.write(self._update_row, *args)  # type: ignore[arg-type]
            except StorageError:
                return len(self._unjournaled)
            except ValueError:
                pass  # already journaled (a client id is unique)
            self._unjournaled.pop(0)
        return 0

    async def stop(self) -> None:
        self._running = False
        for fut in [f for futs in self._waiters.values() for f in futs]:
            fut.cancel()
        self._waiters.clear()


def _from_fills(order: Order, fills: list[Fill], add: bool = False) -> Order:
    size = sum(f.size for f in fills)
    notional = sum(f.size * f.price for f in fills)
    if add and order.filled_size > 0 and order.avg_fill_price:
        notional += order.filled_size * order.avg_fill_price
        size += order.filled_size
    size = min(size, order.request.size)
    status = OrderStatus.FILLED if size >= order.request.size - 1e-12 else OrderStatus.PARTIALLY_FILLED
    total = sum(f.size for f in fills) + (order.filled_size if add else 0.0)
    return replace(order, status=status, filled_size=size, avg_fill_price=notional / total if total else None,
                   reason="" if status is OrderStatus.FILLED else order.reason)
