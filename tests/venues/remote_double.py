"""A remote venue in-process: the real paper engine behind latency and faults, as Mango or a router behaves.

`RemoteDouble` is a `Venue`. Every call goes through `_call`, which has the adapter-side
deadline (past it the caller gets `VenueTimeout`) and applies the `Fault` set for that call
kind ("place_order", "cancel_order", "order_by_client_id", "positions", "portfolio",
"open_orders", "fills", "markets", "health"):

- `reply_after`: the venue acts at once and answers N s later (a timeout if N > deadline);
- `act_after`: the venue acts N s after the call arrived: the order executes later even
  though the caller's call timed out;
- `lose_reply`: the venue acts, then the reply is lost (`VenueTimeout`);
- `rate_limit`: refused with `RateLimited(retry_after)`, nothing done;
- `times`: the fault applies to the next N calls of the kind only.

The remote side runs as its own task, so a caller that times out or is cancelled never stops
it. With `partial_fills`, a market order of at least two lots fills in parts over time
(status partially_filled, then filled; one FillReported per part; capability PARTIAL_FILLS).
Price streams can end or fail (`set_stream_fault`, `end_price_streams`). Client ids are
numeric, like Mango's. `place_calls` counts the place_order calls received per client id.
`events()`, `fills()` and `order_by_client_id` say what really happened.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from grace_desktop.domain.enums import OrderStatus, OrderType
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Fill, MarketSpec, Order, OrderRequest, Portfolio, Position
from grace_desktop.venues.base import (
    Capability,
    OrderRejected,
    RateLimited,
    Tick,
    VenueError,
    VenueHealth,
    VenueTimeout,
)
from grace_desktop.venues.event_stream import EventHub, EventSubscription
from grace_desktop.venues.events import FillReported, FundingPaid, OrderChanged, VenueEvent
from grace_desktop.venues.paper import PaperVenue

T = TypeVar("T")
_PART = "/"  # child orders on the inner paper venue: "<client id>/<part>"


@dataclass(frozen=True, slots=True)
class Fault:
    reply_after: float = 0.0
    act_after: float = 0.0
    lose_reply: bool = False
    rate_limit: float | None = None  # retry_after seconds
    times: int | None = None


@dataclass(frozen=True, slots=True)
class PartialFills:
    parts: int = 3
    interval: float = 0.02  # seconds between parts


@dataclass(frozen=True, slots=True)
class PriceStreamFault:
    after_ticks: int  # the stream stops after delivering this many ticks
    error: bool = False  # True: it raises VenueError; False: it just ends


@dataclass(slots=True)
class _Split:
    """A market order the double fills in parts: one child order per part on the inner venue."""

    request: OrderRequest
    sizes: list[float]
    created_at: float
    venue_order_id: str
    fills: list[Fill] = field(default_factory=list)
    status: OrderStatus = OrderStatus.SUBMITTED
    reason: str = ""
    updated_at: float = 0.0

    def order(self) -> Order:
        filled = round(sum(f.size for f in self.fills), 12)
        avg = sum(f.size * f.price for f in self.fills) / filled if filled else None
        return Order(self.request, self.status, self.venue_order_id, filled, avg, self.reason, self.created_at,
                     self.updated_at or self.created_at)


class _Routing(EventHub):
    """The inner paper venue's events, with each child order's fill reported as a fill of its parent."""

    def __init__(self, double: RemoteDouble) -> None:
        super().__init__()
        self._double = double

    def publish(self, events: Iterable[VenueEvent]) -> None:
        super().publish([self._double._route(e) for e in events])


class RemoteDouble:
    supports_leverage = True

    def __init__(
        self,
        *,
        name: str = "remote",
        deadline: float = 2.0,
        partial_fills: PartialFills | None = None,
        faults: dict[str, Fault] | None = None,
        first_client_id: int | None = None,
        landing_window: float = 5.0,
        **paper: Any,
    ) -> None:
        self.name = name
        self.deadline = deadline
        # A late-acting fault must act inside this window, or the service may call the order failed.
        self.landing_window = landing_window
        self.partial_fills = partial_fills
        caps = {Capability.PERP, Capability.SPOT, Capability.RESTING_ORDERS, Capability.CANCEL}
        if partial_fills is not None:
            caps.add(Capability.PARTIAL_FILLS)
        self.capabilities = frozenset(caps)
        self.place_calls: Counter[str] = Counter()
        self._faults: dict[str, Fault] = dict(faults or {})
        self._fault_uses: Counter[str] = Counter()
        self._stream_fault: PriceStreamFault | None = None
        self._streams: list[tuple[Any, list[bool]]] = []  # inner subscription, [ended with error]
        self._hub = _Routing(self)
        self._clock: Callable[[], float] = paper.get("clock", time.time)
        self._inner = PaperVenue(paper.pop("store", None), name=name, hub=self._hub, **paper)
        self._splits: dict[str, _Split] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        start = first_client_id if first_client_id is not None else random.randrange(10**12, 10**15)
        self._ids = itertools.count(start)
        self._closed = False

    # ----- test controls (not venue calls: no latency, no faults) -------------------------
    def set_fault(self, kind: str, fault: Fault | None) -> None:
        if fault is None:
            self._faults.pop(kind, None)
        else:
            self._faults[kind] = fault
        self._fault_uses[kind] = 0

    def set_stream_fault(self, fault: PriceStreamFault | None) -> None:
        self._stream_fault = fault

    def end_price_streams(self, *, error: bool = False) -> None:
        """Every open price stream ends now (or raises VenueError once its buffered ticks are read)."""
        for subscription, failed in self._streams:
            failed.append(error)
            subscription.close()
        self._streams.clear()

    async def push_tick(self, market: str, price: float, ts: float | None = None) -> Tick:
        return await self._inner.push_tick(market, price, ts)

    async def settle(self) -> None:
        """Wait until everything the remote side is still doing (late acts, later parts) is done."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    # ----- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        await self._inner.start()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
        self.end_price_streams()
        await self._inner.close()  # closes the event hub: every events() subscription ends

    # ----- the Venue protocol ---------------------------------------------------------------
    def new_client_id(self) -> str:
        return str(next(self._ids))

    def last_price(self, market: str) -> float | None:
        return self._inner.last_price(market)

    def events(self) -> EventSubscription:
        return self._hub.subscribe()

    def subscribe_prices(self, markets: Iterable[str] | None = None) -> AsyncIterator[Tick]:
        # Subscribed now, not at the first read, so no tick between the two is missed.
        entry: tuple[Any, list[bool]] = (self._inner.subscribe_prices(markets), [])
        self._streams.append(entry)
        return self._prices(entry, self._stream_fault)

    async def markets(self) -> dict[str, MarketSpec]:
        return await self._call("markets", self._inner.markets)

    async def health(self) -> VenueHealth:
        return await self._call("health", self._inner.health)

    async def portfolio(self, account: str) -> Portfolio:
        return await self._call("portfolio", lambda: self._inner.portfolio(account))

    async def positions(self, account: str) -> list[Position]:
        return await self._call("positions", lambda: self._inner.positions(account))

    async def open_orders(self, account: str) -> list[Order]:
        async def act() -> list[Order]:
            live = [s.order() for s in self._splits.values() if s.request.account == account and s.status.is_live]
            return await self._inner.open_orders(account) + live

        return await self._call("open_orders", act)

    async def fills(self, account: str, since: float | None = None) -> list[Fill]:
        async def act() -> list[Fill]:
            return [self._as_parent_fill(f) for f in await self._inner.fills(account, since)]

        return await self._call("fills", act)

    async def funding(self, account: str, since: float | None = None) -> list[FundingPaid]:
        return await self._call("funding", lambda: self._inner.funding(account, since))

    async def order_by_client_id(self, account: str, client_id: str) -> Order | None:
        async def act() -> Order | None:
            split = self._splits.get(client_id)
            if split is not None:
                return split.order() if split.request.account == account else None
            return await self._inner.order_by_client_id(account, client_id)

        return await self._call("order_by_client_id", act)

    async def place_order(self, request: OrderRequest) -> Order:
        if isinstance(request, OrderRequest):
            self.place_calls[request.client_id] += 1
        return await self._call("place_order", lambda: self._place(request))

    async def cancel_order(self, account: str, client_id: str) -> bool:
        async def act() -> bool:
            split = self._splits.get(client_id)
            if split is None:
                return await self._inner.cancel_order(account, client_id)
            if split.request.account != account or not split.status.is_live:
                return False
            self._finish(split, OrderStatus.CANCELLED, "cancelled by user: the rest will not fill")
            return True

        return await self._call("cancel_order", act)

    # ----- the remote side ------------------------------------------------------------------
    async def _call(self, kind: str, act: Callable[[], Awaitable[T]]) -> T:
        if self._closed:
            raise VenueError(f"{self.name}: the venue is closed")
        fault = self._take_fault(kind)
        if fault.rate_limit is not None:
            raise RateLimited(f"{self.name}: {kind}: too many requests (429)", retry_after=fault.rate_limit)

        async def remote() -> T:
            if fault.act_after:
                await asyncio.sleep(fault.act_after)
            result = await act()
            if fault.reply_after:
                await asyncio.sleep(fault.reply_after)
            return result

        task = self._spawn(remote())
        try:
            result = await asyncio.wait_for(asyncio.shield(task), self.deadline)
        except TimeoutError:
            raise VenueTimeout(f"{self.name}: {kind}: no answer within {self.deadline:g} s") from None
        if fault.lose_reply:
            raise VenueTimeout(f"{self.name}: {kind}: the connection dropped before the answer")
        return result

    def _take_fault(self, kind: str) -> Fault:
        fault = self._faults.get(kind)
        if fault is None:
            return Fault()
        if fault.times is not None and self._fault_uses[kind] >= fault.times:
            return Fault()
        self._fault_uses[kind] += 1
        return fault

    def _spawn(self, coro: Awaitable[T]) -> asyncio.Task[T]:
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled():
                t.exception()  # read: an outcome nobody waited for is not an "unretrieved" error

        task.add_done_callback(done)
        return task

    async def _place(self, request: OrderRequest) -> Order:
        split = self._splits.get(request.client_id) if isinstance(request, OrderRequest) else None
        if split is not None:  # the same client id again: the first order, as paper does
            if split.request.account != request.account:
                raise OrderRejected(f"client_id: {request.client_id!r} is already used by another account")
            return split.order()
        parts = self._parts(request, await self._inner.markets())
        if len(parts) < 2:
            return await self._inner.place_order(request)
        now = self._clock()
        split = self._splits[request.client_id] = _Split(request, parts, now, f"{self.name}-{request.client_id}")
        try:
            await self._fill_part(split, 0)
        except OrderRejected:
            del self._splits[request.client_id]  # refused as a whole, as paper would
            raise
        self._spawn(self._fill_rest(split))
        return split.order()

    def _parts(self, request: OrderRequest, markets: dict[str, MarketSpec]) -> list[float]:
        """The sizes a market order fills in (none: it fills, or is refused, as the paper venue does)."""
        if self.partial_fills is None or not isinstance(request, OrderRequest):
            return []
        if request.order_type is not OrderType.MARKET:
            return []
        try:
            spec = request.check_market(markets)
        except DomainError:
            return []  # the inner venue refuses it with the reason
        lots = round(request.size / spec.lot_size)
        count = min(self.partial_fills.parts, lots)
        base, extra = divmod(lots, count)
        return [round((base + (1 if i < extra else 0)) * spec.lot_size, 12) for i in range(count)]

    async def _fill_part(self, split: _Split, index: int) -> None:
        child = replace(split.request, size=split.sizes[index], client_id=f"{split.request.client_id}{_PART}{index + 1}")
        await self._inner.place_order(child)

    async def _fill_rest(self, split: _Split) -> None:
        assert self.partial_fills is not None
        for index in range(1, len(split.sizes)):
            await asyncio.sleep(self.partial_fills.interval)
            if not split.status.is_live:
                return
            try:
                await self._fill_part(split, index)
            except VenueError as exc:  # the rest cannot fill (margin, position gone...): the order ends
                self._finish(split, OrderStatus.EXPIRED, f"filled {split.order().filled_size:g}, the rest expired: {exc}")
                return

    def _finish(self, split: _Split, status: OrderStatus, reason: str) -> None:
        split.status, split.reason, split.updated_at = status, reason, self._clock()
        self._hub.publish([OrderChanged(self.name, split.request.account, split.order())])

    def _route(self, event: VenueEvent) -> VenueEvent:
        """Child fills become fills of their parent order (called as the inner venue reports them)."""
        if not isinstance(event, FillReported):
            return event
        split = self._splits.get(event.fill.client_id.rpartition(_PART)[0])
        if split is None:
            return event
        fill = self._as_parent_fill(event.fill)
        split.fills.append(fill)
        split.updated_at = fill.ts
        split.status = OrderStatus.FILLED if len(split.fills) == len(split.sizes) else OrderStatus.PARTIALLY_FILLED
        return replace(event, fill=fill, order=split.order())

    async def _prices(self, entry: tuple[Any, list[bool]], fault: PriceStreamFault | None) -> AsyncIterator[Tick]:
        subscription, failed = entry
        delivered = 0
        try:
            async for tick in subscription:
                yield tick
                delivered += 1
                if fault is not None and delivered >= fault.after_ticks:
                    failed.append(fault.error)
                    break
            if any(failed):
                raise VenueError(f"{self.name}: price stream: connection lost")
        finally:
            subscription.close()
            if entry in self._streams:
                self._streams.remove(entry)

    def _as_parent_fill(self, fill: Fill) -> Fill:
        """A part's fill ("<id>/<n>", fill id "<id>/<n>:1") as its order's n-th fill ("<id>", "<id>:<n>")."""
        parent, _, part = fill.client_id.rpartition(_PART)
        if parent not in self._splits:
            return fill
        return replace(fill, client_id=parent, fill_id=f"{parent}:{part}")
