"""The embedded paper venue: a simulated perp + spot exchange behind the Venue protocol.

Bookkeeping is in engine/ticks (synchronous, no I/O). This class adds what a
live venue needs: an asyncio lock so orders and ticks change state one at a time, writes
through `store.paper.save` (one transaction per change, its fills and funding included, in a
single worker thread, made before the change goes live), price fan-out and the typed event
stream (`events()`, see reporting.py). Ticks that change nothing
write nothing, so the hot path stays free of SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from grace_desktop.domain import margin
from grace_desktop.domain import validation as v
from grace_desktop.domain.models import Fill, MarketSpec, Order, OrderRequest, Portfolio, Position
from grace_desktop.storage.paper import PaperFunding
from grace_desktop.venues.base import Capability, OrderRejected, Tick, VenueError, VenueHealth
from grace_desktop.venues.event_stream import EventHub, EventSubscription
from grace_desktop.venues.events import FundingPaid
from grace_desktop.venues.paper.book import paper_orderbook
from grace_desktop.venues.paper.engine import PaperEngine, new_id
from grace_desktop.venues.paper.events import PaperEvent
from grace_desktop.venues.paper.listeners import SyncListeners
from grace_desktop.venues.paper.markets import default_markets
from grace_desktop.venues.paper.reporting import Listeners, history, to_funding_paid, venue_events
from grace_desktop.venues.paper.state import Change
from grace_desktop.venues.paper.ticks import FundingModel, plan_tick
from grace_desktop.venues.price_stream import PriceSubscription

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

    from grace_desktop.storage import Storage

log = logging.getLogger(__name__)
T = TypeVar("T")


class PaperVenue(SyncListeners):
    name = "paper"
    supports_leverage = True
    capabilities = frozenset({Capability.PERP, Capability.SPOT, Capability.RESTING_ORDERS, Capability.CANCEL,
                              Capability.IOC, Capability.POST_ONLY, Capability.REDUCE_ONLY})
    landing_window = 0.0  # in-process: an order is booked within the call or never

    def __init__(
        self,
        store: Storage | None = None,
        *,
        feed: AsyncIterable[Tick] | None = None,
        starting_balance: float = 10_000.0,
        markets: Mapping[str, MarketSpec] | None = None,
        slippage_bps: float = 2.0,
        funding_interval_s: float = 3600.0,
        index_halflife_s: float = 900.0,
        clock: Callable[[], float] = time.time,
        queue_size: int = 256,
        name: str = "paper",
        hub: EventHub | None = None,
    ) -> None:
        self.name = v.text("name", name)  # what its ticks and events carry (a test double renames it)
        v.positive("starting_balance", starting_balance)
        v.non_negative("slippage_bps", slippage_bps)
        v.positive("funding_interval_s", funding_interval_s)
        v.positive("index_halflife_s", index_halflife_s)
        self._store = store
        self._feed = feed
        self._clock = clock
        self._queue_size = queue_size
        self._engine = PaperEngine(
            default_markets() if markets is None else markets,
            starting_balance=starting_balance,
            slippage_bps=slippage_bps,
        )
        self._funding = FundingModel(funding_interval_s, index_halflife_s)
        self._lock = asyncio.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paper-store")
        self._loaded = False
        self._closed = False
        self._last_ts = 0.0
        self._feed_task: asyncio.Task[None] | None = None
        self._feed_error: BaseException | None = None
        self._feed_done = False
        self._subscriptions: list[PriceSubscription] = []
        self._tick_listeners: list[Callable[[Tick], None]] = []
        self._listeners = Listeners()
        self._hub = EventHub() if hub is None else hub  # a venue built on this one may route the events
        # Without a store the history lives here (a venue with a store reads it back from the file).
        self._fill_history: dict[str, list[Fill]] = {}
        self._funding_history: dict[str, list[PaperFunding]] = {}

    # ----- lifecycle --------------------------------------------------------------------
    async def start(self, run_feed: bool = True) -> None:
        """Load the persisted accounts (idempotent) and, if asked, start consuming the feed."""
        await self._ensure_loaded()
        if run_feed and self._feed is not None and self._feed_task is None:
            loop = asyncio.get_running_loop()
            self._feed_task = loop.create_task(self._feed_loop(), name="paper-feed")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        task, self._feed_task = self._feed_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for subscription in list(self._subscriptions):
            subscription.close()
        self._hub.close()
        async with self._lock:  # let a write in flight finish before the worker goes away
            self._executor.shutdown(wait=True)

    async def run_feed(self) -> None:
        """Consume the configured feed until it ends, applying every tick."""
        if self._feed is None:
            return
        async for tick in self._feed:
            await self.push_tick(tick.market, tick.price, tick.ts, market_ts=tick.market_ts)

    async def _feed_loop(self) -> None:
        try:
            await self.run_feed()
            self._feed_done = True
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the venue stays up; health() reports why prices stopped
            self._feed_error = exc
            log.exception("paper price feed stopped")

    async def _ensure_loaded(self) -> None:
        if self._closed:
            raise VenueError("the paper venue is closed")
        if self._loaded:
            return
        async with self._lock:
            if self._loaded:
                return
            if self._store is not None:
                store = self._store
                states = await self._run(
                    lambda: [(a, store.paper.load(a)) for a in store.paper.accounts()], "load the accounts"
                )
                for account, state in states:
                    unknown = sorted({p.market for p in state.positions} - set(self._engine.markets))
                    if unknown:  # kept in the database, untouched, in case the market comes back
                        log.warning("paper account %s has positions in unlisted markets %s", account, unknown)
                    open_orders = [o for o in state.orders if not o.status.is_final]
                    self._engine.load(account, state.balance, state.positions, open_orders, state.entry_fees)
            self._loaded = True

    # ----- prices -----------------------------------------------------------------------
    async def push_tick(self, market: str, price: float, ts: float | None = None, *,
                        market_ts: float | None = None) -> Tick:
        """Apply one tick (mark, resting limits, liquidations, funding), then fan it out."""
        market = v.text("market", market)
        # Every tick passes here: the checks that raise run only for a value the cheap test refuses.
        if type(price) is not float or not 0.0 < price < math.inf:
            price = v.positive("price", price)
        if ts is None:
            ts = self._clock()
        elif type(ts) is not float or not math.isfinite(ts):
            ts = v.finite("ts", ts)
        tick = Tick(market, price, ts, self.name, None if market_ts is None else v.finite("market_ts", market_ts))
        if not self._loaded or self._closed:  # a coroutine per tick only until the accounts are loaded
            await self._ensure_loaded()
        async with self._lock:
            self._last_ts = max(self._last_ts, ts)
            for change in plan_tick(self._engine, self._funding, market, price, ts):
                try:
                    await self._commit(change)
                except VenueError:
                    log.exception("paper venue: could not save the effect of a %s tick", market)
                    self._engine.sync_triggers(change.account, change.markets | {market}, change.orders)
        for listener in tuple(self._tick_listeners):
            try:
                listener(tick)
            except Exception:
                log.exception("tick listener failed")
        for subscription in self._subscriptions:
            subscription.push(tick)
        return tick

    def subscribe_prices(
        self, markets: Iterable[str] | None = None, *, maxsize: int | None = None
    ) -> PriceSubscription:
        subscription = PriceSubscription(markets, maxsize or self._queue_size, self._unsubscribe)
        if self._closed:
            subscription.close()
        else:
            self._subscriptions.append(subscription)
        return subscription

    def _unsubscribe(self, subscription: PriceSubscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def last_price(self, market: str) -> float | None:
        return self._engine.marks.get(market)

    def index_price(self, market: str) -> float | None:
        """The smoothed price funding is measured against (perps only)."""
        return self._funding.index.get(market)

    def funding_rate(self, market: str) -> float | None:
        """Current daily funding rate of a perp (positive: longs pay), None before its first tick."""
        mark = self._engine.marks.get(market)
        return None if mark is None else self._funding.rate(market, mark)

    async def orderbook(self, market: str, depth: int = 20) -> dict[str, object] | None:
        return paper_orderbook(self._engine, market, depth)  # its own ladder around the mark (book.py)

    async def candles(self, market: str, timeframe: str, since: float | None = None) -> list[tuple[float, ...]]:
        source = getattr(self._feed, "candles", None)  # a feed that keeps history (replay, live) serves it
        return list(await source(market, timeframe, since)) if source is not None else []

    # ----- events ----------------------------------------------------------------------------
    def events(self) -> EventSubscription:
        """A new subscription to every fill, order change, position change, liquidation and funding from now on.

        Nothing is ever dropped (unbounded buffer: read it or close it); it ends when the venue closes.
        """
        return self._hub.subscribe()

    def _emit(self, events: list[PaperEvent]) -> None:
        self._listeners.emit(events)
        self._hub.publish(venue_events(self.name, events))

    def new_client_id(self) -> str:
        return new_id("paper-c")

    # ----- account queries --------------------------------------------------------------
    async def markets(self) -> dict[str, MarketSpec]:
        return dict(self._engine.markets)

    def accounts(self) -> list[str]:
        return sorted(self._engine.accounts)

    async def portfolio(self, account: str) -> Portfolio:
        await self._ensure_loaded()
        return self._engine.portfolio(v.text("account", account))

    async def positions(self, account: str) -> list[Position]:
        await self._ensure_loaded()
        return list(self._engine.state(v.text("account", account)).positions.values())

    async def open_orders(self, account: str) -> list[Order]:
        await self._ensure_loaded()
        return list(self._engine.state(v.text("account", account)).orders.values())

    async def fills(self, account: str, since: float | None = None) -> list[Fill]:
        """Every fill of `account` (liquidations included), in the order they were booked; `since` inclusive."""
        await self._ensure_loaded()
        account = v.text("account", account)
        if self._store is None:
            return [f for f in self._fill_history.get(account, []) if since is None or f.ts >= since]
        store = self._store
        return await self._run(lambda: store.paper.fills(account, since), "read the fills")

    async def funding(self, account: str, since: float | None = None) -> list[FundingPaid]:
        """Every funding payment booked to `account`, oldest first; `since` inclusive."""
        await self._ensure_loaded()
        account = v.text("account", account)
        if self._store is None:
            rows = [f for f in self._funding_history.get(account, []) if since is None or f.ts >= since]
        else:
            store = self._store
            rows = await self._run(lambda: store.paper.funding(account, since), "read the funding")
        return [to_funding_paid(self.name, row) for row in rows]

    async def liquidation_price(self, account: str, market: str) -> float | None:
        """Where the venue will liquidate `account`'s position in `market` (None: no perp position)."""
        await self._ensure_loaded()
        position = self._engine.state(account).positions.get(market)
        spec = self._engine.markets.get(market)
        if position is None or spec is None or not spec.is_perp:
            return None
        return margin.position_liquidation_price(position, spec.maint_margin)

    async def health(self) -> VenueHealth:
        if self._closed:
            return VenueHealth(False, "paper venue closed")
        if self._feed_error is not None:
            return VenueHealth(False, f"price feed stopped: {self._feed_error}")
        if self._feed is None:
            return VenueHealth(True, "paper venue (prices pushed by the app)")
        if self._feed_done:
            return VenueHealth(True, "paper venue; the price feed has ended (replay finished)")
        state = "running" if self._feed_task is not None else "not started"
        return VenueHealth(True, f"paper venue; price feed {state}")

    # ----- orders -----------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        """Fill (market, marketable limit) or rest (limit) the order; the same client id twice returns the first."""
        if not isinstance(request, OrderRequest):
            raise OrderRejected(f"request: expected an OrderRequest, got {type(request).__name__}")
        await self._ensure_loaded()
        async with self._lock:
            existing = await self._find_order(request.client_id) if request.client_id else None
            if existing is not None:
                if existing.request.account != request.account:
                    raise OrderRejected(f"client_id: {request.client_id!r} is already used by another account")
                return existing
            change = self._engine.plan_order(request, self._now())
            await self._commit(change)
        return change.orders[request.client_id]

    async def cancel_order(self, account: str, client_id: str) -> bool:
        """Cancel a resting order; False when it is unknown, someone else's, or already final."""
        await self._ensure_loaded()
        async with self._lock:
            change = self._engine.plan_cancel(account, client_id, self._now())
            if change is None:
                return False
            await self._commit(change)
        return True

    async def order_by_client_id(self, account: str, client_id: str) -> Order | None:
        await self._ensure_loaded()
        order = await self._find_order(client_id)
        return order if order is not None and order.request.account == account else None

    async def _find_order(self, client_id: str) -> Order | None:
        order = self._engine.orders.get(client_id)
        if order is None and self._store is not None:
            store = self._store
            order = await self._run(lambda: store.paper.order(client_id), "look up the order")
            if order is not None:
                self._engine.orders[client_id] = order
        return order

    # ----- persistence ------------------------------------------------------------------
    async def _commit(self, change: Change) -> None:
        """Persist `change` (and the fills and funding it booked) in one transaction, then make it live and report it."""
        fills, funding = history(change.events)
        if self._store is None:
            self._fill_history.setdefault(change.account, []).extend(fills)
            self._funding_history.setdefault(change.account, []).extend(funding)
        else:
            store = self._store

            def save() -> None:
                store.paper.save(
                    change.account,
                    balance=change.after.balance,
                    upsert_positions=change.upsert_positions,
                    delete_positions=change.delete_positions,
                    upsert_orders=list(change.orders.values()),
                    entry_fees={p.market: change.after.entry_fees.get(p.market, 0.0) for p in change.upsert_positions},
                    fills=fills,
                    funding=funding,
                )

            saving = asyncio.ensure_future(self._run(save, "save the account"))
            try:
                await asyncio.shield(saving)
            except asyncio.CancelledError:
                # The worker thread writes whatever happens (a caller's timeout cannot call it back):
                # wait for it and make a saved change live, so memory never lags the file; then
                # let the cancellation through.
                while not saving.done():
                    try:
                        await asyncio.shield(saving)
                    except asyncio.CancelledError:
                        pass
                if saving.exception() is None:
                    self._engine.apply(change)
                    self._emit(change.events)
                raise
        self._engine.apply(change)
        self._emit(change.events)

    async def _run(self, fn: Callable[[], T], what: str) -> T:
        """Run a storage call on the venue's single worker thread; failures become a retryable VenueError."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn)
        except Exception as exc:  # sqlite errors, a record storage refused...: nothing was applied
            raise VenueError(f"paper venue could not {what}: {exc}", retryable=True) from exc

    def _now(self) -> float:
        # Never stamp an order before the last tick it may have seen (simulated feeds can run ahead).
        return max(self._clock(), self._last_ts)
