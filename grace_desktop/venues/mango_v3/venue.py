"""MangoV3Venue: the Venue protocol over the mango-v3-service REST API.

The service pushes nothing and answers a place or a cancel with a transaction signature only, so
the adapter polls (`poll_interval`) for marks (bid/ask midpoint), open orders, positions, the
balance and the fill rows of the markets in play, and reports what changed as venue events. An
order's outcome comes from rows carrying its numeric client id; one the service has not shown is
never sent again. Traps the contract sets, handled here: perp market orders have no price bound
(sent as IOC limits capped around the mark), reduceOnly is not enforced (a reduce-only order is
sized from a fresh position read and never beyond it, and never rests), and prices and sizes are
truncated by the service (sent exact: rounding.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal

from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Fill, MarketSpec, Order, OrderRequest, Portfolio, Position
from grace_desktop.venues.base import Capability, NotSent, OrderRejected, RateLimited, Tick, VenueError, VenueHealth
from grace_desktop.venues.event_stream import EventHub, EventSubscription
from grace_desktop.venues.events import FillReported, FundingPaid, OrderChanged, PositionChanged, VenueEvent
from grace_desktop.venues.mango_v3 import parse
from grace_desktop.venues.mango_v3.client import MangoV3Client
from grace_desktop.venues.mango_v3.market_history import MarketHistory
from grace_desktop.venues.mango_v3.params import params_for, perp_spec
from grace_desktop.venues.mango_v3.portfolio import portfolio_from, positions_from, usdc_balance
from grace_desktop.venues.mango_v3.rounding import to_increment
from grace_desktop.venues.mango_v3.tracking import Attribution, Tracked, order_from_fills, resting_order
from grace_desktop.venues.price_stream import PriceSubscription

log = logging.getLogger(__name__)


class MangoV3Venue(MarketHistory):
    name = "mango_v3"
    supports_leverage = True
    capabilities = frozenset({Capability.PERP, Capability.RESTING_ORDERS, Capability.CANCEL, Capability.PARTIAL_FILLS})

    def __init__(
        self, client: MangoV3Client, *, poll_interval: float = 1.0, landing_window: float = 10.0,
        confirm_window: float = 2.0, market_cap: float = 0.01, account: str | None = None,
        account_pubkey: str | None = None, clock: Callable[[], float] = time.time, name: str = "mango_v3",
    ) -> None:
        self.client = client
        self.name = name
        self.poll_interval = poll_interval
        # The service answers before its fill is indexed: an order it does not show yet may still land.
        self.landing_window = landing_window
        self.confirm_window = confirm_window
        self.market_cap = market_cap  # an "at market" order is an IOC limit this far past the mark
        self._account = account
        self._clock = clock
        self._ids = itertools.count(int(clock() * 1_000_000))  # numeric, rising across restarts, < 2^53
        self._specs: dict[str, MarketSpec] = {}
        self._infos: dict[str, parse.MarketInfo] = {}
        self._marks: dict[str, float] = {}
        self._orders: dict[str, Tracked] = {}
        self._seen: set[str] = set()
        self._positions: dict[str, Position] = {}
        self._opened_at: dict[str, float] = {}
        self._attribution = Attribution(account_pubkey)
        self._hub = EventHub()
        self._prices: list[PriceSubscription] = []
        self._poll_lock = asyncio.Lock()
        self._poll_task: asyncio.Task[None] | None = None
        self._last_error: str | None = None
        self._started_at = clock()
        self._closed = False

    # ----- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        self._check_open()
        if self._poll_task is not None:
            return
        await self._load_markets()
        await self._poll(baseline=True)
        self._poll_task = asyncio.get_running_loop().create_task(self._poll_loop(), name=f"{self.name}-poll")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        task, self._poll_task = self._poll_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for subscription in list(self._prices):
            subscription.close()
        self._hub.close()
        await self.client.aclose()

    def _check_open(self) -> None:
        if self._closed:
            raise VenueError(f"{self.name}: the venue is closed")

    # ----- markets and prices ---------------------------------------------------------------------
    async def _load_markets(self) -> None:
        infos = await self.client.markets()
        self._update_marks(infos, publish=False)
        self._specs = {i.name: perp_spec(i.name, i.base, float(i.price_increment), float(i.size_increment))
                       for i in infos if i.is_perp}

    def _update_marks(self, infos: Iterable[parse.MarketInfo], publish: bool = True) -> None:
        now = self._clock()
        for info in infos:
            self._infos[info.name] = info
            mid = info.mid
            if mid is None or self._marks.get(info.name) == mid:
                continue
            self._marks[info.name] = mid
            if publish:
                tick = Tick(info.name, mid, now, self.name)
                for subscription in tuple(self._prices):
                    subscription.push(tick)

    async def markets(self) -> dict[str, MarketSpec]:
        self._check_open()
        if not self._specs:
            await self._load_markets()
        return dict(self._specs)

    def subscribe_prices(self, markets: Iterable[str] | None = None) -> PriceSubscription:
        subscription = PriceSubscription(markets, 256, self._unsubscribe)
        if self._closed:
            subscription.close()
        else:
            self._prices.append(subscription)
        return subscription

    def _unsubscribe(self, subscription: PriceSubscription) -> None:
        if subscription in self._prices:
            self._prices.remove(subscription)

    def last_price(self, market: str) -> float | None:
        return self._marks.get(market)

    def events(self) -> EventSubscription:
        return self._hub.subscribe()

    def new_client_id(self) -> str:
        return str(next(self._ids))

    # ----- account ------------------------------------------------------------------------------
    def _use(self, account: str) -> str:
        self._account = self._account or account
        return account

    async def portfolio(self, account: str) -> Portfolio:
        self._check_open()
        self._use(account)
        balances, rows = await asyncio.gather(self.client.balances(), self.client.positions())
        for row in rows:
            self._opened_at.setdefault(row.market, self._clock())
        return portfolio_from(account, balances, rows, self._marks, self._opened_at)

    async def positions(self, account: str) -> list[Position]:
        return list((await self.portfolio(account)).positions)

    async def account_info(self) -> parse.AccountInfo:
        """`/mango/account`: margin available per market (init health / (1 - init asset weight))."""
        self._check_open()
        return await self.client.account()

    async def open_orders(self, account: str) -> list[Order]:
        self._check_open()
        rows = await self.client.open_orders()
        return [resting_order(account, r, self._mine(r.client_id, account)) for r in rows
                if self._mine(r.client_id, account) is not None or r.client_id not in self._orders]

    async def fills(self, account: str, since: float | None = None) -> list[Fill]:
        """Our fills in every perp market, oldest first; `since` inclusive."""
        self._check_open()
        found = await self._fill_rows(self._specs)
        return [f for f, _ in found if since is None or f.ts >= since]

    async def funding(self, account: str, since: float | None = None) -> list[FundingPaid]:
        """The service has no funding endpoint; Mango's funding settles into the perp PnL."""
        self._check_open()
        return []

    async def health(self) -> VenueHealth:
        if self._closed:
            return VenueHealth(False, f"{self.name}: closed")
        started = time.monotonic()
        try:
            await self.client.account(deadline=5.0)
        except VenueError as exc:
            return VenueHealth(False, str(exc))
        latency = (time.monotonic() - started) * 1000
        return VenueHealth(True, f"mango-v3-service at {self.client.base_url}", latency)

    def _mine(self, client_id: str, account: str) -> Tracked | None:
        tracked = self._orders.get(client_id)
        return tracked if tracked is not None and tracked.account == account else None

    async def _fill_rows(self, markets: Iterable[str]) -> list[tuple[Fill, str]]:
        names = sorted(set(markets))
        batches = await asyncio.gather(*(self.client.fills(m) for m in names))
        rows = [row for batch in batches for row in batch]
        found = self._attribution.ours(rows, set(self._orders))
        return sorted(found, key=lambda item: (item[0].ts, item[0].market, int(item[0].fill_id.split(":")[1])))

    # ----- orders -------------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        self._check_open()
        if not isinstance(request, OrderRequest):
            raise OrderRejected(f"request: expected an OrderRequest, got {type(request).__name__}")
        self._use(request.account)
        try:
            spec = request.check_market(await self.markets())
            if not request.client_id.isdigit() or int(request.client_id) >= 2**53:
                raise DomainError("client_id", f"Mango needs a number below 2^53, got {request.client_id!r}")
        except DomainError as exc:
            raise OrderRejected(str(exc)) from None
        info = self._infos[spec.name]
        if request.reduce_only:
            request = await self._sized_close(request)
        size = to_increment(request.size, info.size_increment, "nearest")
        ioc = request.order_type is OrderType.MARKET or request.reduce_only
        price = await self._price_for(request, info)
        tracked = Tracked(request.account, request, self._clock(), ioc)
        self._orders[request.client_id] = tracked
        try:
            await self.client.place_order(spec.name, request.side.value, size, price=price,
                                          client_id=int(request.client_id), ioc=ioc,
                                          reduce_only=request.reduce_only, size_decimals=_base_decimals(spec.name))
        except (OrderRejected, NotSent, RateLimited):
            del self._orders[request.client_id]  # provably not acted on: nothing to resolve
            raise
        except VenueError:
            tracked.status = OrderStatus.UNKNOWN  # sent; only its fills or the book can say what happened
            raise
        return await self._confirm(tracked)

    async def _sized_close(self, request: OrderRequest) -> OrderRequest:
        """The service ignores reduceOnly: size the close from a fresh position read, never beyond it."""
        rows = await self.client.positions()
        held = next((r for r in rows if r.market == request.market and r.net_size != 0), None)
        if held is None or (held.net_size > 0) == (request.side is OrderSide.BUY):
            raise OrderRejected(f"reduce_only: no {request.market} position for a {request.side.value} to reduce")
        return replace(request, size=min(request.size, abs(held.net_size)))

    async def _price_for(self, request: OrderRequest, info: parse.MarketInfo) -> Decimal:
        tick = info.price_increment
        if request.order_type is OrderType.LIMIT and not request.reduce_only:
            assert request.price is not None
            return to_increment(request.price, tick, "nearest")
        fresh = await self.client.market(request.market)
        self._update_marks([fresh])
        mark = fresh.mid or self._marks.get(request.market)
        if mark is None:
            raise OrderRejected(f"price: {request.market} has no bid and ask to price an order at market")
        buy = request.side is OrderSide.BUY
        cap = to_increment(mark * (1 + self.market_cap if buy else 1 - self.market_cap), tick, "down" if buy else "up")
        if request.order_type is OrderType.LIMIT and request.price is not None:  # a reduce-only limit: its own bound
            own = to_increment(request.price, tick, "nearest")
            cap = min(cap, own) if buy else max(cap, own)
        return cap

    async def _confirm(self, tracked: Tracked) -> Order:
        """Read until the order shows (filled, resting) or the confirm window ends: then it is SUBMITTED."""
        deadline = time.monotonic() + self.confirm_window
        while True:
            try:
                await self._poll(focus={tracked.request.market})
            except VenueError as exc:  # the order went out; a failed read does not undo that
                log.info("%s: confirming %s: %s", self.name, tracked.request.client_id, exc)
            if tracked.status is not OrderStatus.SUBMITTED or time.monotonic() >= deadline:
                return tracked.order()
            await asyncio.sleep(min(0.05, self.poll_interval))

    async def cancel_order(self, account: str, client_id: str) -> bool:
        self._check_open()
        tracked = self._orders.get(client_id)
        if tracked is not None and (tracked.account != account or tracked.status.is_final):
            return False
        if not client_id.isdigit():
            return False
        try:
            await self.client.cancel_by_client_id(client_id)
        except OrderRejected:  # "Order not found!": filled, cancelled or never there
            return False
        if tracked is not None:
            order = tracked.finish(OrderStatus.CANCELLED, "cancelled by user", self._clock())
            self._hub.publish([OrderChanged(self.name, account, order)])
        return True

    async def order_by_client_id(self, account: str, client_id: str) -> Order | None:
        self._check_open()
        tracked = self._orders.get(client_id)
        if tracked is not None:
            if tracked.account != account:
                return None
            if not tracked.status.is_final:
                await self._poll(focus={tracked.request.market})
            if tracked.status is OrderStatus.UNKNOWN:
                return None  # nothing at the venue shows it (yet)
            return tracked.order()
        for row in await self.client.open_orders():
            if row.client_id == client_id:
                return resting_order(account, row, None)
        mine = [f for f, _ in await self._fill_rows(self._specs) if f.client_id == client_id]
        return order_from_fills(account, client_id, mine) if mine else None

    # ----- polling ------------------------------------------------------------------------------
    async def _poll_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.poll_interval)
            try:
                await self._poll()
                self._last_error = None
            except VenueError as exc:
                if self._last_error != str(exc):
                    log.warning("%s: polling failed: %s", self.name, exc)
                self._last_error = str(exc)
            except Exception:
                log.exception("%s: polling failed", self.name)

    async def _poll(self, focus: set[str] | None = None, baseline: bool = False) -> None:
        """One read of marks, book, positions, balance and fills; publishes what changed, in order."""
        async with self._poll_lock:
            self._check_open()
            infos, rows, orders, balances = await asyncio.gather(
                self.client.markets(), self.client.positions(), self.client.open_orders(), self.client.balances())
            self._update_marks(infos, publish=not baseline)
            live = {t.request.market for t in self._orders.values() if not t.status.is_final}
            active = (focus or set()) | live | {r.market for r in rows} | {o.market for o in orders} | set(self._positions)
            found = await self._fill_rows(active & set(self._specs))
            events: list[VenueEvent] = []
            now = self._clock()
            for fill, order_id in found:
                if fill.fill_id in self._seen:
                    continue
                self._seen.add(fill.fill_id)
                tracked = self._orders.get(fill.client_id)
                if tracked is not None:
                    events.append(FillReported(self.name, tracked.account, fill, tracked.add_fill(fill, order_id)))
                elif not baseline and fill.ts >= self._started_at - 5:  # older fills: fills(since) at catch-up
                    events.append(FillReported(self.name, self._account or self.name, fill))
                if fill.market not in self._positions:
                    self._opened_at.setdefault(fill.market, fill.ts)
            events += self._order_changes(orders, now)
            events += self._position_changes(rows, usdc_balance(balances), now)
            if not baseline:
                self._hub.publish(events)

    def _order_changes(self, orders: list[parse.ServiceOrder], now: float) -> list[VenueEvent]:
        resting = {o.client_id: o for o in orders if o.client_id}
        events: list[VenueEvent] = []
        for cid, tracked in self._orders.items():
            if tracked.status.is_final:
                continue
            row = resting.get(cid)
            before = tracked.order()
            if row is not None:
                tracked.seen_open, tracked.missing_since = True, None
                tracked.venue_order_id = row.order_id
                if tracked.status in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN):
                    tracked.finish(OrderStatus.OPEN, "", now)
            elif tracked.complete:
                tracked.status = OrderStatus.FILLED
            elif tracked.seen_open:  # left the book without its fills (yet): cancelled elsewhere, or fills lag
                tracked.missing_since = tracked.missing_since or now
                if now - tracked.missing_since >= self.landing_window:
                    tracked.finish(OrderStatus.CANCELLED, "no longer on the book", now)
            elif tracked.status is not OrderStatus.UNKNOWN and now - tracked.created_at >= self.landing_window:
                what = "IOC ended" if tracked.ioc else "not posted (post-only or price band)"
                tracked.finish(OrderStatus.EXPIRED, f"{what}: filled {tracked.filled:g} of {tracked.request.size:g}",
                               now)
            after = tracked.order()
            if after != before and after.status is not before.status and after.status is not OrderStatus.FILLED:
                events.append(OrderChanged(self.name, tracked.account, after))
        return events

    def _position_changes(self, rows: list[parse.ServicePosition], balance: float, now: float) -> list[VenueEvent]:
        account = self._account or self.name
        for row in rows:
            self._opened_at.setdefault(row.market, now)
        current = {p.market: p for p in positions_from(account, rows, balance, self._opened_at)}
        events: list[VenueEvent] = []
        for market in sorted(set(current) | set(self._positions)):
            position = current.get(market)
            if position != self._positions.get(market):
                events.append(PositionChanged(self.name, account, market, position))
            if position is None:
                self._opened_at.pop(market, None)
        self._positions = current
        return events


def _base_decimals(market: str) -> int | None:
    params, known = params_for(market)
    return params.base_decimals if known else None
