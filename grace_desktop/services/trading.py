"""TradingService: the one path by which anything places an order.

execute_trade: settings -> leverage or spot -> venue selector -> risk policy against the
venue's live portfolio -> order intent committed to the journal -> venue -> result journaled.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import MarketSpec, Order, OrderRequest, Portfolio
from grace_desktop.domain.risk import RiskDecision, RiskPolicy
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.domain.sizing import round_down_to_lot
from grace_desktop.domain.volatility import EwmaVolatility, VolatilityCap
from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.events import EventBus, OrderUpdated, PortfolioChanged
from grace_desktop.services.selector import NoVenueError, Selection, VenueSelector
from grace_desktop.services.trade_inputs import close_args, preview_args, trade_args
from grace_desktop.services.trade_types import TradeConditions, TradeResult
from grace_desktop.storage import Storage
from grace_desktop.venues.base import OrderRejected, Tick, Venue, VenueError

log = logging.getLogger(__name__)

# Volatility is only trusted once this many returns have been seen.
MIN_VOL_SAMPLES = 30

class ExitHooks(Protocol):
    def stage(self, account: str, market: str, conditions: TradeConditions, client_id: str) -> None: ...

    async def confirm(self, account: str, market: str, client_id: str) -> None: ...

    async def drop(self, account: str, market: str, client_id: str, reason: str) -> None: ...


ConditionSink = Callable[[str, str, OrderSide, float, float, TradeConditions], Awaitable[str]]
FillHook = Callable[[str, str], Awaitable[None]]


class TradingService:
    def __init__(
        self,
        store: Storage,
        selector: VenueSelector,
        bus: EventBus,
        alerts: AlertStream,
        *,
        clock: Callable[[], float] = time.time,
        order_timeout: float = 10.0,
        vol_halflife: float = 3600.0,
    ) -> None:
        self.store = store
        self.selector = selector
        self.bus = bus
        self.alerts = alerts
        self._clock = clock
        self._order_timeout = order_timeout
        self._vol_halflife = vol_halflife
        self._specs: dict[str, dict[str, MarketSpec]] = {}
        self._merged: dict[str, MarketSpec] = {}
        self._marks: dict[str, float] = {}
        self._vol: dict[str, EwmaVolatility] = {}
        self._settings: dict[str, AccountSettings] = {}
        self._portfolios: dict[str, Portfolio] = {}
        # Set by the monitor: arms entry conditions and attaches exits after a fill.
        self.condition_sink: ConditionSink | None = None
        self.exit_hooks: ExitHooks | None = None
        self.after_fill: list[FillHook] = []
        self.after_settings: list[Callable[[str], Awaitable[None]]] = []
        # client_id -> why it was sent, for journaling the fill the venue reports while placing it.
        self.purposes: dict[str, str] = {}

    # ----- market data -------------------------------------------------------------------
    async def load_markets(self) -> None:
        for name, venue in self.selector.venues.items():
            self._specs[name] = await venue.markets()
            for market in self._specs[name]:
                price = venue.last_price(market)
                if price is not None:
                    self._marks.setdefault(market, price)
        self._merge_markets()

    def markets(self) -> dict[str, MarketSpec]:
        return dict(self._merged)

    def _merge_markets(self) -> None:
        merged: dict[str, MarketSpec] = {}
        for name in sorted(self._specs, key=lambda n: n != self.selector.primary):
            for market, spec in self._specs[name].items():
                merged.setdefault(market, spec)  # the primary venue's spec wins
        self._merged = merged

    def spec(self, market: str, venue: str | None = None) -> MarketSpec | None:
        if venue is not None:
            return self._specs.get(venue, {}).get(market)
        return self._merged.get(market)

    def on_tick(self, tick: Tick) -> None:
        self._marks[tick.market] = tick.price
        est = self._vol.get(tick.market)
        if est is None:
            est = self._vol[tick.market] = EwmaVolatility(self._vol_halflife)
        est.update(tick.price, tick.ts)

    def mark(self, market: str) -> float | None:
        return self._marks.get(market)

    def daily_volatility(self, market: str) -> float | None:
        est = self._vol.get(market)
        if est is None or est.samples < MIN_VOL_SAMPLES:
            return None
        return est.daily

    # ----- settings ----------------------------------------------------------------------
    def settings(self, account: str) -> AccountSettings:
        cached = self._settings.get(account)
        if cached is None:
            cached = self._settings[account] = self.store.settings.get(account)
        return cached

    async def save_settings(self, account: str, settings: AccountSettings) -> None:
        await asyncio.to_thread(self.store.settings.save, account, settings)
        self._settings[account] = settings
        for hook in tuple(self.after_settings):  # re-plan exits under the new TP/SL/guard settings
            await hook(account)

    def allowed_leverage(self, account: str, market: str) -> tuple[float, VolatilityCap | None]:
        spec = self.spec(market)
        if spec is None:
            raise DomainError("market", f"unknown market {market!r}")
        return RiskPolicy(self.settings(account).risk_limits()).allowed_leverage(spec, self.daily_volatility(market))

    # ----- portfolio ---------------------------------------------------------------------
    def portfolio(self, account: str) -> Portfolio:
        """Last known portfolio, revalued at the latest marks (no venue call)."""
        cached = self._portfolios.get(account)
        if cached is None:
            return Portfolio(account, 0.0, (), dict(self._marks))
        marks = dict(cached.marks)
        marks.update(self._marks)
        return replace(cached, marks=marks)

    async def refresh_portfolio(self, account: str, venue_name: str | None = None) -> Portfolio:
        venue = self.selector.venues[venue_name or self.selector.primary]
        portfolio = await venue.portfolio(account)
        self._portfolios[account] = portfolio
        self.bus.publish(PortfolioChanged(account, self.portfolio(account)))
        return portfolio

    # ----- preview (order ticket) ---------------------------------------------------------
    def preview(
        self, action: str, amount: float, market: str, account: str, *, leverage: float,
        order_type: str = "market", price: float | None = None,
    ) -> RiskDecision:
        """What the risk policy would say now, from cached state; raises DomainError on bad input."""
        action, amount, market, account, leverage, order_type, price = preview_args(
            action, amount, market, account, leverage, order_type, price).unpacked()
        spec = self.spec(market)
        if spec is None:
            raise DomainError("market", f"unknown market {market!r}")
        mark = price if price is not None else self.mark(market)
        if mark is None:
            raise DomainError("price", f"no price yet for {market}")
        request = OrderRequest(account, market, OrderSide.parse(action), amount, OrderType.parse(order_type),
                               price, leverage)
        policy = RiskPolicy(self.settings(account).risk_limits())
        return policy.evaluate(request, spec, self.portfolio(account), mark, self.daily_volatility(market))

    # ----- placing orders ----------------------------------------------------------------
    async def execute_trade(
        self, action: str, amount: float, market: str, account: str, *, leverage: float | None = None,
        order_type: str = "market", price: float | None = None, conditions: TradeConditions | None = None,
        reduce_only: bool = False, venue: str | None = None, purpose: str = "",
    ) -> TradeResult:
        """`venue` pins the venue (closes go where the position is, healthy or not); else the selector picks.
        `purpose` (e.g. "stop_loss") is what the journal records as the reason for the round trip it closes."""
        try:
            (action, amount, market, account, leverage, order_type, price, conditions, reduce_only, venue,
             purpose) = trade_args(action, amount, market, account, leverage, order_type, price, conditions,
                                   reduce_only, venue, purpose, venues=self.selector.venues).unpacked()
        except DomainError as exc:
            return TradeResult.refused(str(exc))
        settings = self.settings(account)
        try:
            side = OrderSide.parse(action)
            lev = v.finite("leverage", leverage) if leverage is not None else settings.default_leverage
            spec = self.spec(market)
            if spec is None:
                raise DomainError("market", f"unknown market {market!r}")
            if not spec.is_perp and leverage is None:
                lev = 1.0  # the default leverage applies to perps; spot always trades at 1x
            if lev > 1 and not spec.is_perp:
                raise DomainError("leverage", f"{market} is a spot market; leverage {lev:g}x needs a perp market")
            if venue is not None:
                if venue not in self.selector.venues:
                    raise NoVenueError(f"venue {venue!r} is not configured")
                selection = Selection(venue, self.selector.venues[venue], "the venue holding the position")
            else:
                selection = self.selector.select(leverage_trade=spec.is_perp, settings=settings)
            spec = self.spec(market, selection.name) or spec
            request = OrderRequest(account, market, side, amount, OrderType.parse(order_type), price, lev,
                                   reduce_only)
            request.check_market({market: spec})
        except (DomainError, NoVenueError) as exc:
            return TradeResult.refused(str(exc))

        if conditions is not None and conditions.has_entry:
            if self.condition_sink is None:
                return TradeResult.refused("conditional entries need the position monitor running")
            cond_id = await self.condition_sink(account, market, side, amount, lev, conditions)
            return TradeResult(True, None, None, (), selection.name, f"entry condition #{cond_id} armed")

        target = selection.venue
        try:
            portfolio = await target.portfolio(account)
        except VenueError as exc:
            self.selector.record_failure(selection.name, str(exc))
            return TradeResult.refused(f"{selection.name}: {exc}", venue=selection.name)
        self.selector.record_success(selection.name)
        self._portfolios[account] = portfolio
        mark = price if price is not None else (target.last_price(market) or self.mark(market))
        if mark is None:
            return TradeResult.refused(f"no price yet for {market}", venue=selection.name)
        decision = RiskPolicy(settings.risk_limits()).evaluate(
            request, spec, portfolio, mark, self.daily_volatility(market)
        )
        request = request.with_client_id(uuid.uuid4().hex)
        if decision.leverage != request.leverage:
            request = replace(request, leverage=decision.leverage)
        now = self._clock()
        if not decision.approved:
            reasons = tuple(r.message for r in decision.reasons)
            order = Order(request, OrderStatus.REJECTED, reason="; ".join(reasons), created_at=now, updated_at=now)
            await asyncio.to_thread(self.store.orders.record_intent, order, selection.name)
            await asyncio.to_thread(self.store.orders.update, request.client_id, status=OrderStatus.REJECTED,
                                    reason=order.reason)
            return TradeResult.refused(*reasons, decision=decision, venue=selection.name, order=order)

        if purpose:
            self.purposes[request.client_id] = purpose
        exits = conditions if conditions is not None and conditions.has_exits else None
        order = await self._send(selection.name, target, request, now, exits)
        self.purposes.pop(request.client_id, None)
        ok = order.status in (OrderStatus.FILLED, OrderStatus.OPEN)
        if exits is not None and self.exit_hooks is not None:
            if ok:  # a resting limit's exits wait, armed, for its fill
                await self.exit_hooks.confirm(account, market, request.client_id)
            else:
                await self.exit_hooks.drop(account, market, request.client_id, f"order {order.status.value}")
        if not ok:
            return TradeResult(False, order, decision, (order.reason,), selection.name, f"not placed: {order.reason}")
        if order.status is OrderStatus.FILLED:
            await self._on_filled(account, market, selection.name)
        req = order.request
        at = f" @ {order.avg_fill_price:,.6g}" if order.avg_fill_price else (f" @ {req.price:,.6g}" if req.price else "")
        msg = f"{order.status.value}: {req.side.value} {req.size:g} {req.market}{at} on {selection.name}"
        if selection.name != self.selector.primary:
            msg += f" ({selection.reason})"  # a fallback is worth saying; the usual route is not
        if decision.notes:
            msg += "; " + "; ".join(decision.notes)
        return TradeResult(True, order, decision, (), selection.name, msg)

    async def _send(
        self, venue_name: str, venue: Venue, request: OrderRequest, now: float, exits: TradeConditions | None = None,
    ) -> Order:
        """Commit the intent, then call the venue; whatever happens, the journal ends with an outcome."""
        intent = Order(request, OrderStatus.INTENT, created_at=now, updated_at=now)
        # Synchronous on purpose: the intent must be durable before the venue can act on it.
        self.store.orders.record_intent(intent, venue_name)
        if exits is not None and self.exit_hooks is not None:
            self.exit_hooks.stage(request.account, request.market, exits, request.client_id)
        try:
            order = await asyncio.wait_for(venue.place_order(request), self._order_timeout)
        except OrderRejected as exc:
            self.selector.record_success(venue_name)  # the venue answered; it just said no
            order = intent.with_status(OrderStatus.REJECTED, reason=str(exc), updated_at=self._clock())
        except (VenueError, asyncio.TimeoutError, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            self.selector.record_failure(venue_name, reason)
            found = await self._lookup(venue, request)
            order = found or intent.with_status(OrderStatus.FAILED, reason=reason, updated_at=self._clock())
        else:
            self.selector.record_success(venue_name)
        self._record_outcome(order)
        self.bus.publish(OrderUpdated(request.account, order))
        return order

    async def _lookup(self, venue: Venue, request: OrderRequest) -> Order | None:
        try:
            return await asyncio.wait_for(venue.order_by_client_id(request.account, request.client_id),
                                          self._order_timeout)
        except (VenueError, asyncio.TimeoutError, OSError):
            return None

    def _record_outcome(self, order: Order) -> None:
        self.store.orders.update(
            order.client_id, status=order.status, venue_order_id=order.venue_order_id,
            filled_size=order.filled_size, avg_fill_price=order.avg_fill_price, reason=order.reason or None,
        )

    async def _on_filled(self, account: str, market: str, venue_name: str) -> None:
        await self.refresh_portfolio(account, venue_name)
        for hook in tuple(self.after_fill):
            await hook(account, market)

    async def close_position(self, account: str, market: str, fraction: float = 1.0, reason: str = "manual") -> TradeResult:
        """Reduce-only market order against the open position, at the position's own leverage."""
        try:
            account, market, fraction, reason = close_args(account, market, fraction, reason).unpacked()
        except DomainError as exc:
            return TradeResult.refused(str(exc))
        spec = self.spec(market)
        if spec is None:
            return TradeResult.refused(f"market: unknown market {market!r}")
        # A close must reach the venue that holds the position, even one that has been failing:
        # the selector's health gate is for new exposure, not for getting out.
        venue_name = self.selector.primary
        try:
            positions = await self.selector.venues[venue_name].positions(account)
        except VenueError as exc:
            self.selector.record_failure(venue_name, str(exc))
            return TradeResult.refused(f"could not read positions from {venue_name}: {exc}")
        position = next((p for p in positions if p.market == market), None)
        if position is None:
            return TradeResult.refused(f"no open position in {market}")
        size = position.size if fraction >= 1 else round_down_to_lot(position.size * fraction, spec.lot_size)
        if size <= 0:
            size = position.size  # a reduce smaller than one lot closes what is left
        log.info("closing %s %s %s of %s (%s)", account, market, size, position.size, reason)
        return await self.execute_trade(
            OrderSide.closing(position.side).value, size, market, account,
            leverage=position.leverage, reduce_only=True, venue=venue_name, purpose=reason,
        )

    # ----- crash recovery ---------------------------------------------------------------
    async def reconcile_intents(self) -> list[Order]:
        """Settle intents left by a crash: record what the venue has, fail what it never got. Never resend."""
        settled: list[Order] = []
        for record in await asyncio.to_thread(self.store.orders.pending_intents):
            venue = self.selector.venues.get(record.venue)
            intent = record.order
            if venue is None:
                continue
            try:
                found = await venue.order_by_client_id(intent.request.account, intent.client_id)
            except VenueError as exc:
                log.warning("cannot reconcile %s yet: %s", intent.client_id, exc)
                continue
            order = found or intent.with_status(
                OrderStatus.FAILED, reason="not found at the venue after a restart; not sent", updated_at=self._clock()
            )
            self._record_outcome(order)
            if self.exit_hooks is not None:  # exits staged with the intent follow its outcome
                request = intent.request
                if order.status in (OrderStatus.FILLED, OrderStatus.OPEN):
                    await self.exit_hooks.confirm(request.account, request.market, intent.client_id)
                else:
                    await self.exit_hooks.drop(request.account, request.market, intent.client_id, "never sent")
            settled.append(order)
        return settled
