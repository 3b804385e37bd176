"""The paper exchange's bookkeeping: accounts, marks, order placement, fills and margin checks.

Synchronous and free of I/O so it can be tested and reasoned about on its own; the async
PaperVenue wraps it with persistence, locking and listeners. Every operation returns a
`Change` (a draft) and touches live state only in `apply`. Tick-driven work (resting
limits, liquidations, funding) lives in ticks.py.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping

from grace_desktop.domain import margin
from grace_desktop.domain.conditions import Direction
from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType, Side, TimeInForce
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Fill, MarketSpec, Order, OrderRequest, Portfolio, Position
from grace_desktop.domain.positions import FillOutcome, apply_fill, lots
from grace_desktop.domain.trigger_book import TriggerBook
from grace_desktop.venues.base import OrderRejected
from grace_desktop.venues.paper.events import FillEvent, OrderEvent
from grace_desktop.venues.paper.state import AccountState, Change

_EPS = 1e-9


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


class PaperEngine:
    def __init__(
        self,
        markets: Mapping[str, MarketSpec],
        *,
        starting_balance: float,
        slippage_bps: float,
    ) -> None:
        self.markets = dict(markets)
        self.starting_balance = starting_balance
        self.slippage_bps = slippage_bps
        self.accounts: dict[str, AccountState] = {}
        self.orders: dict[str, Order] = {}  # every order this engine knows, any status
        self.marks: dict[str, float] = {}
        self.book = TriggerBook()  # resting limit prices and liquidation prices
        # Fills per order, for fill ids "<client id>:<n>". Counted when planned: a change that is
        # never applied leaves a gap, never a duplicate. Paper fills an order at most once, so a
        # restart (which forgets the counts) cannot repeat an id either.
        self._fill_counts: dict[str, int] = {}

    # ----- state ------------------------------------------------------------------------
    def state(self, account: str) -> AccountState:
        state = self.accounts.get(account)
        if state is None:
            state = self.accounts[account] = AccountState(self.starting_balance)
        return state

    def load(
        self, account: str, balance: float | None, positions: Iterable[Position], orders: Iterable[Order],
        entry_fees: Mapping[str, float] | None = None,
    ) -> None:
        state = AccountState(self.starting_balance if balance is None else balance)
        for position in positions:
            if position.market in self.markets:
                state.positions[position.market] = position
                state.entry_fees[position.market] = (entry_fees or {}).get(position.market, 0.0)
        for order in orders:
            self.orders[order.client_id] = order
            if not order.status.is_final and order.request.market in self.markets:
                state.orders[order.client_id] = order
        self.accounts[account] = state
        self.sync_triggers(account, set(state.positions) | {o.request.market for o in state.orders.values()})

    def portfolio(self, account: str) -> Portfolio:
        state = self.state(account)
        return Portfolio(account, state.balance, tuple(state.positions.values()), dict(self.marks))

    def apply(self, change: Change) -> None:
        self.accounts[change.account] = change.after
        self.orders.update(change.orders)
        self.sync_triggers(change.account, change.markets, change.orders)

    def sync_triggers(self, account: str, markets: Iterable[str], changed_orders: Iterable[str] = ()) -> None:
        """Re-arm the liquidation and resting-order triggers of `markets` from live state."""
        state = self.state(account)
        markets = set(markets)
        for market in markets:
            spec = self.markets[market]
            position = state.positions.get(market)
            key = ("liq", account, market)
            liq = margin.position_liquidation_price(position, spec.maint_margin) if position and spec.is_perp else 0.0
            if position is not None and liq > 0 and math.isfinite(liq):
                direction = Direction.AT_OR_BELOW if position.side is Side.LONG else Direction.AT_OR_ABOVE
                self.book.arm(key, market, liq, direction)
            else:
                self.book.cancel(key)
        for order in state.orders.values():
            if order.request.market in markets and order.request.price is not None:
                buy = order.request.side is OrderSide.BUY
                direction = Direction.AT_OR_BELOW if buy else Direction.AT_OR_ABOVE
                self.book.arm(("order", order.client_id), order.request.market, order.request.price, direction)
        for client_id in changed_orders:
            if client_id not in state.orders:
                self.book.cancel(("order", client_id))

    # ----- orders -----------------------------------------------------------------------
    def plan_order(self, request: OrderRequest, now: float) -> Change:
        """The Change placing `request` makes, or OrderRejected with the reason."""
        if not request.client_id.strip():
            raise OrderRejected("client_id: every order needs a client id")
        try:
            spec = request.check_market(self.markets)
        except DomainError as exc:
            raise OrderRejected(str(exc)) from None
        change = Change.begin(request.account, self.state(request.account))
        self._check_direction(request, spec, change.after.positions.get(spec.name))
        order = Order(request, OrderStatus.OPEN, venue_order_id=new_id("paper"), created_at=now, updated_at=now)
        mark = self.marks.get(spec.name)
        marketable = mark is not None and _marketable(request, mark)
        if request.time_in_force is TimeInForce.POST_ONLY and marketable:
            raise OrderRejected(f"post_only: a {request.side.value} limit at {request.price:g} would take liquidity "
                                f"(mark {mark:g}); it was not placed")
        if request.time_in_force is TimeInForce.IOC and not marketable:
            expired = order.with_status(OrderStatus.EXPIRED, reason=f"ioc: nothing to fill at {request.price:g} "
                                        f"(mark {mark if mark is not None else 'unknown'})")
            change.record_order(expired)
            change.events.append(OrderEvent(change.account, expired))
            return change
        if request.order_type is OrderType.MARKET or marketable:
            if mark is None:
                raise OrderRejected(f"market: no price for {spec.name} yet; wait for the feed or use a limit order")
            price = self.taker_price(spec, request.side, mark)
            if request.order_type is OrderType.LIMIT and request.price is not None:
                price = min(price, request.price) if request.side is OrderSide.BUY else max(price, request.price)
            self.fill(change, order, spec, price, maker=False, ts=now, reason=request.order_type.value,
                      placing=True)
        else:
            self._check_reserve(change, order, spec)
            change.record_order(order)
            change.events.append(OrderEvent(change.account, order))
        return change

    def plan_cancel(self, account: str, client_id: str, now: float, reason: str = "cancelled by user") -> Change | None:
        state = self.state(account)
        order = state.orders.get(client_id)
        if order is None:
            return None
        change = Change.begin(account, state)
        cancelled = order.with_status(OrderStatus.CANCELLED, reason=reason, updated_at=now)
        change.record_order(cancelled)
        change.events.append(OrderEvent(account, cancelled))
        return change

    def taker_price(self, spec: MarketSpec, side: OrderSide, mark: float) -> float:
        """Mark moved against the taker by the slippage, rounded to the tick (never in the taker's favour)."""
        raw = mark * (1 + side.sign * self.slippage_bps / 10_000)
        steps = raw / spec.tick_size
        steps = math.ceil(steps - _EPS) if side is OrderSide.BUY else math.floor(steps + _EPS)
        return max(spec.tick_size, round(steps * spec.tick_size, 12))

    def _check_direction(self, request: OrderRequest, spec: MarketSpec, position: Position | None) -> None:
        side, size, name = request.side, request.size, spec.name
        if request.reduce_only:
            if position is None:
                raise OrderRejected(f"reduce_only: there is no open {name} position to reduce")
            if side.position_side is position.side:
                raise OrderRejected(f"reduce_only: a {side.value} would increase the {position.side.value} {name} position")
            if size > position.size + _EPS:
                raise OrderRejected(
                    f"reduce_only: size {size:g} exceeds the {position.size:g} {name} position "
                    f"and would open a {side.position_side.value} position"
                )
        if not spec.is_perp and side is OrderSide.SELL:
            held = position.size if position is not None and position.side is Side.LONG else 0.0
            if size > held + _EPS:
                raise OrderRejected(f"size: {name} is spot; cannot sell {size:g} {spec.base}, only {held:g} held")

    # ----- fills and margin ---------------------------------------------------------------
    def fill(
        self,
        change: Change,
        order: Order,
        spec: MarketSpec,
        price: float,
        *,
        maker: bool,
        ts: float,
        reason: str,
        size: float | None = None,
        placing: bool = False,
    ) -> None:
        """Fill `order` (its remaining size unless `size`) into the draft; OrderRejected if margin is short."""
        state = change.after
        request = order.request
        size = lots(order.remaining if size is None else size, spec)
        rate = spec.maker_fee if maker else spec.taker_fee
        fee = margin.fee(size, price, rate)
        outcome = apply_fill(
            state.positions.get(spec.name), spec=spec, account=change.account, side=request.side, size=size,
            price=price, fee=fee, leverage=request.leverage, ts=ts, entry_fees=state.entry_fees.get(spec.name, 0.0),
            client_id=order.client_id, reason=reason,
        )
        if outcome.opened > 0:
            self._check_margin(change, spec, request, outcome, price, rate, placing)
        state.balance += outcome.cash
        change.set_position(spec.name, outcome.position, outcome.entry_fees)
        filled = order.with_status(
            OrderStatus.FILLED,
            filled_size=order.filled_size + size,
            avg_fill_price=_avg(order, size, price),
            updated_at=ts,
            reason=order.reason or ("" if size >= order.remaining - _EPS else
                                    f"filled {size:g} of {order.remaining:g}: reduce-only clamped to the position"),
        )
        change.record_order(filled)
        n = self._fill_counts[order.client_id] = self._fill_counts.get(order.client_id, 0) + 1
        fill = Fill(order.client_id, spec.name, request.side, size, price, fee, ts, maker=maker,
                    fill_id=f"{order.client_id}:{n}")
        change.events.append(
            FillEvent(change.account, spec.name, filled, fill, reason, outcome.position, state.balance, outcome.closed)
        )

    def _check_margin(
        self, change: Change, spec: MarketSpec, request: OrderRequest, outcome: FillOutcome, price: float,
        fee_rate: float, placing: bool,
    ) -> None:
        """Init-health gate: after the trade, equity must still cover every position's initial margin."""
        state = change.after
        positions = [p for m, p in state.positions.items() if m != spec.name]
        if outcome.position is not None:
            positions.append(outcome.position)
        marks = {**self.marks, spec.name: self.marks.get(spec.name, price)}
        after = Portfolio(change.account, state.balance + outcome.cash, tuple(positions), marks)
        reserved = self.reserved_margin(state, exclude=request.client_id) if placing else 0.0
        # Filling at the mark this cannot happen (init margin > maint margin); heavy slippage can cause it.
        # A resting order crossed by a gap still fills, and the same tick then liquidates, as on a real book.
        position = outcome.position
        mark = marks[spec.name]
        if placing and position and spec.is_perp and margin.is_liquidatable(position, mark, spec.maint_margin):
            liq = margin.position_liquidation_price(position, spec.maint_margin)
            raise OrderRejected(
                f"leverage: the {spec.name} position would be liquidated at once (mark {mark:g}, liquidation "
                f"price {liq:g}); use less leverage or a smaller size"
            )
        if margin.free_collateral(after) - reserved >= -_EPS:
            return
        free_now = margin.free_collateral(self.portfolio_of(change)) - reserved
        need = margin.required_margin(outcome.opened, price, request.leverage, fee_rate)
        raise OrderRejected(
            f"collateral: insufficient for {outcome.opened:g} {spec.name} at {request.leverage:g}x: needs "
            f"{need:,.2f} {spec.quote} (margin + fee), {max(0.0, free_now):,.2f} {spec.quote} free"
        )

    def portfolio_of(self, change: Change) -> Portfolio:
        state = change.after
        return Portfolio(change.account, state.balance, tuple(state.positions.values()), dict(self.marks))

    def reserved_margin(self, state: AccountState, exclude: str = "") -> float:
        """Initial margin (plus fee) held back for resting orders that would add exposure."""
        total = 0.0
        for order in state.orders.values():
            if order.client_id != exclude:
                total += self._order_margin(order, state.positions.get(order.request.market))
        return total

    def _order_margin(self, order: Order, position: Position | None) -> float:
        request = order.request
        if request.reduce_only or request.price is None:
            return 0.0
        exposure = order.remaining
        if position is not None and request.side.position_side is not position.side:
            exposure = max(0.0, exposure - position.size)
        if exposure <= 0:
            return 0.0
        spec = self.markets[request.market]
        return exposure * request.price / request.leverage + max(0.0, margin.fee(exposure, request.price, spec.maker_fee))

    def _check_reserve(self, change: Change, order: Order, spec: MarketSpec) -> None:
        state = change.after
        need = self._order_margin(order, state.positions.get(spec.name))
        if need <= 0:
            return
        free = margin.free_collateral(self.portfolio_of(change)) - self.reserved_margin(state)
        if need > free + _EPS:
            request = order.request
            raise OrderRejected(
                f"collateral: insufficient for a {request.size:g} {spec.name} limit at {request.leverage:g}x: "
                f"needs {need:,.2f} {spec.quote} (margin + fee), {max(0.0, free):,.2f} {spec.quote} free "
                "after the margin held for other open orders"
            )


def _marketable(request: OrderRequest, mark: float) -> bool:
    if request.order_type is not OrderType.LIMIT or request.price is None:
        return False
    return mark <= request.price if request.side is OrderSide.BUY else mark >= request.price


def _avg(order: Order, size: float, price: float) -> float:
    if order.filled_size <= 0 or order.avg_fill_price is None:
        return price
    total = order.filled_size + size
    return (order.filled_size * order.avg_fill_price + size * price) / total
