"""The one service that journals what venues report: fills, round trips built from them, funding.

Round trips are built here from fills with the same `domain.positions.apply_fill` the paper
venue books with, over the journal's own ledger of open positions, so the balance always
equals the journal's PnL, fees and funding. Each fill is journaled in one transaction with
its ledger change, its round trip and — when it ends a position — the end of that
position's exit conditions, so a condition never outlives its position. Fills are idempotent
on (venue, fill_id): start-up asks every venue for the fills since the last one journaled and
rebuilds whatever a crash lost.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grace_desktop.domain.enums import OrderSide
from grace_desktop.domain.models import Fill, MarketSpec, Position
from grace_desktop.domain.positions import apply_fill
from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.events import EventBus, PositionUpdated, TradeClosed, VenueStatusChanged
from grace_desktop.services.market_data import MarketData
from grace_desktop.services.orders import OrderLifecycle
from grace_desktop.services.tasks import TaskSupervisor
from grace_desktop.storage import Storage
from grace_desktop.storage.errors import StorageClosedError, StorageError
from grace_desktop.storage.records import ConditionRecord, LedgerPosition, TradeRecord
from grace_desktop.venues.base import Venue, VenueError
from grace_desktop.venues.events import (
    FillReported,
    FundingPaid,
    Liquidated,
    OrderChanged,
    PositionChanged,
    VenueNotice,
)

log = logging.getLogger(__name__)

STREAM_RETRY = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
# After a fill could not be journaled (disk full): how often to try to read it back from the venue.
RECOVER_RETRY = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
HEALTH_DEADLINE_S = 5.0


@dataclass(frozen=True, slots=True)
class Journaled:
    trade: TradeRecord | None
    flat: bool  # the fill ended the position (or flipped it): its exits were settled with it


class VenueJournal:
    def __init__(
        self, store: Storage, bus: EventBus, alerts: AlertStream, market_data: MarketData,
        lifecycle: OrderLifecycle, tasks: TaskSupervisor, *, clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.bus = bus
        self.alerts = alerts
        self.market_data = market_data
        self.lifecycle = lifecycle
        self.tasks = tasks
        self._clock = clock
        self._running = True
        self._lock = asyncio.Lock()  # fills of one process are journaled one at a time, in order
        self._venues: dict[str, Venue] = {}
        self._recovering: set[str] = set()
        self._streams: dict[str, Any] = {}
        self._consumers: dict[str, asyncio.Task[Any]] = {}
        self._handling = 0

    # ----- event streams ---------------------------------------------------------------------
    def attach(self, name: str, venue: Venue) -> None:
        self._venues[name] = venue
        self._consumers[name] = self.tasks.spawn(self._consume(name, venue), name=f"events-{name}", long_lived=True)

    async def detach(self, name: str) -> None:
        """Stop journaling `name`'s events (a venue removed at runtime)."""
        self._venues.pop(name, None)
        self._streams.pop(name, None)
        task = self._consumers.pop(name, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _consume(self, name: str, venue: Venue) -> None:
        attempt = 0
        while self._running:
            try:
                stream = self._streams[name] = venue.events()
                async for event in stream:
                    attempt = 0
                    self._handling += 1
                    try:
                        await self.handle(name, event)
                    finally:
                        self._handling -= 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a broken stream is reported and reopened
                log.warning("event stream of %s failed: %s", name, exc)
            if not self._running:
                return
            delay = STREAM_RETRY[min(attempt, len(STREAM_RETRY) - 1)] * random.uniform(0.75, 1.25)
            attempt += 1
            if attempt == 1:
                self.alerts.warning(f"{name}: venue events interrupted",
                                    "reconnecting; fills made meanwhile are read back when it answers")
            await asyncio.sleep(delay)
            try:
                await self.catch_up(name, venue)
            except Exception as exc:  # noqa: BLE001
                log.warning("catch-up of %s failed: %s", name, exc)

    @property
    def backlog(self) -> int:
        """Venue events received or buffered but not journaled yet."""
        buffered = 0
        for stream in self._streams.values():
            try:
                buffered += len(stream)
            except TypeError:
                pass
        return buffered + self._handling

    async def handle(self, venue: str, event: object) -> None:
        try:
            if isinstance(event, FillReported):
                self.lifecycle.on_fill(venue, event.account, event.fill, event.order)
                await self._journal_in_order(venue, event.account, event.fill)
            elif isinstance(event, Liquidated):
                fill = event.fill  # the alert first: it must reach the user even if the journal cannot write
                self.alerts.raise_alert(
                    "critical", "Position liquidated",
                    f"{fill.size:g} {event.market} liquidated at {fill.price:,.4f} (mark {event.mark:,.4f}); "
                    f"fee {fill.fee:,.2f}", account=event.account, market=event.market)
                await self._journal_in_order(venue, event.account, event.fill)
            elif isinstance(event, OrderChanged):
                self.lifecycle.on_order_changed(venue, event.order)
            elif isinstance(event, PositionChanged):
                await self.bus.publish_async(PositionUpdated(venue, event.account, event.market, event.position))
            elif isinstance(event, FundingPaid):
                await self.record_funding(event)
            elif isinstance(event, VenueNotice):
                self.alerts.raise_alert(event.level, event.title, event.text, account=event.account,
                                        market=event.market or "")
                # A notice often means the venue's state changed (a spot router fallback): the status
                # bar re-reads its health, beside the journal rather than in its way.
                self.tasks.spawn(self._publish_health(venue), name=f"health-{venue}")
        except Exception as exc:  # one bad event must not stop the journal; it is rebuilt from fills later
            log.exception("could not journal %s from %s", type(event).__name__, venue)
            if isinstance(exc, StorageError) and not isinstance(exc, StorageClosedError):
                self._recover_later(venue)

    async def _publish_health(self, name: str) -> None:
        venue = self._venues.get(name)
        if venue is None:
            return
        try:
            async with asyncio.timeout(HEALTH_DEADLINE_S):
                health = await venue.health()
        except (TimeoutError, VenueError) as exc:
            log.info("health of %s after a notice: %s", name, exc or "no answer")
            return
        self.bus.publish(VenueStatusChanged(name, health.ok, health.detail))

    async def _journal_in_order(self, venue: str, account: str, fill: Fill) -> None:
        if venue in self._recovering:
            return  # an earlier fill is not journaled yet: the recovery's catch-up journals both, in order
        await self.record_fill(venue, account, fill)

    def _recover_later(self, name: str) -> None:
        """The journal had no room for what `name` reported: read it back from the venue once it has.

        Without this, the round trip would be missing and the ended position's exits left armed
        (to attach to the next position in that market) until the next start-up.
        """
        venue = self._venues.get(name)
        if venue is None or name in self._recovering or not self._running:
            return
        self._recovering.add(name)
        self.tasks.spawn(self._recover(name, venue), name=f"journal-recover-{name}")

    async def _recover(self, name: str, venue: Venue) -> None:
        attempt = 0
        try:
            while self._running:
                await asyncio.sleep(RECOVER_RETRY[min(attempt, len(RECOVER_RETRY) - 1)])
                attempt += 1
                try:
                    # Orders first, so each fill is journaled with the close (and the rule) that made it.
                    if await self.lifecycle.flush_unjournaled():
                        continue
                    await self.catch_up(name, venue)
                    return
                except Exception as exc:  # noqa: BLE001 - still no room, or the venue is away: later
                    log.warning("journal of %s still behind: %s", name, exc)
        finally:
            self._recovering.discard(name)

    # ----- fills and round trips ---------------------------------------------------------------
    async def record_fill(self, venue: str, account: str, fill: Fill) -> Journaled | None:
        spec = self.market_data.spec(fill.market, venue) or self.market_data.spec(fill.market)
        if spec is None:
            log.warning("fill in unknown market %s from %s not journaled", fill.market, venue)
            return None
        async with self._lock:
            done = await self.store.write(self._journal_fill, venue, account, fill, spec)
        if done is not None and done.trade is not None:
            await self.bus.publish_async(TradeClosed(done.trade))
        return done

    def _journal_fill(self, venue: str, account: str, fill: Fill, spec: MarketSpec) -> Journaled | None:
        store = self.store
        with store.transaction():
            if not store.fills.record(fill, account, venue):
                return None  # already journaled: a replay after a crash or a second poll
            held = store.ledger.get(venue, account, fill.market)
            row = store.orders.get(fill.client_id)
            leverage = row.order.request.leverage if row is not None else (held.leverage if held else 1.0)
            purpose = (row.purpose if row is not None else "") or ""
            kind = "liquidation" if fill.liquidation else (
                row.order.request.order_type.value if row is not None else "market")
            outcome = apply_fill(
                _position(held, account), spec=spec, account=account, side=OrderSide.parse(fill.side),
                size=fill.size, price=fill.price, fee=fill.fee, leverage=leverage, ts=fill.ts,
                entry_fees=held.entry_fees if held else 0.0, client_id=fill.client_id, reason=kind,
            )
            after = outcome.position
            if after is None:
                store.ledger.delete(venue, account, fill.market)
            else:
                store.ledger.put(LedgerPosition(
                    venue=venue, account=account, market=fill.market, side=after.side, size=after.size,
                    entry_price=after.entry_price, leverage=after.leverage, entry_fees=outcome.entry_fees,
                    opened_at=after.opened_at, updated_at=fill.ts))
            trade = None
            if outcome.closed is not None:
                c = outcome.closed
                trade = TradeRecord(
                    account=account, market=c.market, side=c.side, size=c.size, entry_price=c.entry_price,
                    exit_price=c.exit_price, realized_pnl=c.realized_pnl, fees=c.fees, opened_at=c.opened_at,
                    closed_at=c.closed_at, venue=venue, close_reason=purpose or kind, client_id=fill.client_id,
                    fill_id=fill.fill_id)
                trade_id = store.trades.record(trade)
                trade = _with_id(trade, trade_id)
            ended = held is not None and (after is None or after.side is not held.side)
            if ended:
                armed = store.conditions.armed(account=account, market=fill.market, venue=venue)
                keep = [c.id for c in armed if c.id is not None and _staged_by_open_order(store, c, fill.client_id)]
                fired = [c.id for c in armed if c.kind == purpose and c.id is not None and c.id not in keep]
                trigger = row.trigger_price if row is not None and row.trigger_price else fill.price
                store.conditions.end_for_position(
                    venue, account, fill.market, fired_ids=fired, price=trigger,
                    reason=purpose or kind, ts=fill.ts, keep_ids=keep)
            return Journaled(trade, ended)

    async def record_funding(self, event: FundingPaid) -> None:
        await self.store.write(self.store.funding.record, event.venue, event.account, event.market, event.amount,
                               event.daily_rate, event.ts, event.funding_id)

    # ----- start-up: rebuild what a crash lost --------------------------------------------------
    async def catch_up(self, name: str, venue: Venue, accounts: list[str] | None = None) -> int:
        """Journal every fill and funding payment the venue has that the journal lacks; returns how many."""
        if accounts is None:
            listed = await self.store.read(lambda: self.store.accounts.list(include_internal=True))
            accounts = [a.name for a in listed]
        added = 0
        for account in accounts:
            since = await self.store.read(self.store.fills.last_ts, name, account)
            try:
                fills = await venue.fills(account, since=None if since is None else since - 1.0)
                payments = await venue.funding(account, since=None)
            except VenueError as exc:
                log.warning("cannot read %s fills of %s yet: %s", name, account, exc)
                continue
            for fill in sorted(fills, key=lambda f: (f.ts, f.fill_id)):
                if await self.record_fill(name, account, fill) is not None:
                    added += 1
            for payment in payments:
                await self.record_funding(payment)
            await self._heal_ledger(name, venue, account)
        return added

    async def _heal_ledger(self, name: str, venue: Venue, account: str) -> None:
        """The venue is the truth: a ledger row that disagrees with its position is reset (and said)."""
        try:
            positions = {p.market: p for p in await venue.positions(account)}
        except VenueError:
            return
        rows = {r.market: r for r in await self.store.read(self.store.ledger.all, name, account)}
        for market in set(positions) | set(rows):
            p, r = positions.get(market), rows.get(market)
            if p is not None and r is not None and r.side is p.side and abs(r.size - p.size) <= 1e-9 * max(1, p.size):
                continue
            if p is None and r is None:
                continue
            log.warning("journal ledger for %s %s %s disagreed with the venue; reset to the venue's position",
                        name, account, market)
            if p is None:
                await self.store.write(self.store.ledger.delete, name, account, market)
            else:
                await self.store.write(self.store.ledger.put, LedgerPosition(
                    venue=name, account=account, market=market, side=p.side, size=p.size,
                    entry_price=p.entry_price, leverage=p.leverage, entry_fees=r.entry_fees if r else 0.0,
                    opened_at=p.opened_at, updated_at=self._clock()))

    def stop(self) -> None:
        self._running = False


def _staged_by_open_order(store: Storage, cond: ConditionRecord, fill_client_id: str) -> bool:
    """Exits staged with the order that made this fill, or with one whose outcome is still open."""
    client_id = cond.params.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        return False
    if client_id == fill_client_id:
        return True
    row = store.orders.get(client_id)
    if row is None or not (row.order.status.needs_resolution or row.order.status.is_live):
        return False
    # An order whose fills are already journaled was part of the position that just ended.
    return not store.fills.for_order(client_id)


def _position(held: LedgerPosition | None, account: str) -> Position | None:
    if held is None:
        return None
    return Position(account=account, market=held.market, side=held.side, size=held.size,
                    entry_price=held.entry_price, leverage=held.leverage,
                    collateral=held.size * held.entry_price / held.leverage, opened_at=held.opened_at)


def _with_id(trade: TradeRecord, trade_id: int) -> TradeRecord:
    from dataclasses import replace

    return replace(trade, id=trade_id)
