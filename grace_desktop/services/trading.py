"""TradingService: the one door by which anything places an order.

execute_trade: settings -> leverage or spot -> venue selector -> risk policy against the
venue's live portfolio -> the order lifecycle (intent journaled, sent once, resolved).
Market data, portfolios and the lifecycle are services of their own; this class composes
them and keeps the methods the window, the monitor and scripts call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import MarketSpec, Order, OrderRequest, Portfolio, Position
from grace_desktop.domain.risk import RiskDecision, RiskPolicy, market_fill_price
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.domain.sizing import round_down_to_lot
from grace_desktop.domain.volatility import VolatilityCap, VolatilityEstimate
from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.events import ConditionArmed, EventBus, SettingsChanged
from grace_desktop.services.exit_conditions import entry_record
from grace_desktop.services.market_data import MarketData
from grace_desktop.services.order_guards import apply_guards, entry_price
from grace_desktop.services.order_options import check_order_options, venue_order_options
from grace_desktop.services.orders import OrderLifecycle
from grace_desktop.services.portfolios import Portfolios
from grace_desktop.services.selector import NoVenueError, Selection, VenueSelector
from grace_desktop.services.tasks import TaskSupervisor
from grace_desktop.services.trade_inputs import close_args, preview_args, time_in_force_arg, trade_args
from grace_desktop.services.trade_types import TradeConditions, TradeResult
from grace_desktop.storage import Storage
from grace_desktop.storage.errors import StorageError
from grace_desktop.venues.base import Capability, Tick, VenueError

log = logging.getLogger(__name__)



class TradingService:
    def __init__(
        self, store: Storage, selector: VenueSelector, bus: EventBus, alerts: AlertStream, *,
        tasks: TaskSupervisor | None = None, clock: Callable[[], float] = time.time, order_timeout: float = 10.0,
        vol_halflife: float = 3600.0,
    ) -> None:
        self.store = store
        self.selector = selector
        self.bus = bus
        self.alerts = alerts
        # Not `tasks or ...`: an empty supervisor is falsy (it has __len__), and its failure hook would be lost.
        self.tasks = tasks if tasks is not None else TaskSupervisor()
        self._clock = clock
        self.market_data = MarketData(selector, vol_halflife=vol_halflife)
        self.portfolios = Portfolios(selector, self.market_data, bus)
        self.orders = OrderLifecycle(store, selector, bus, alerts, self.tasks, clock=clock, deadline=order_timeout)
        self._settings: dict[str, AccountSettings] = {}
        self._close_locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    # ----- market data and portfolios (kept here for the window and scripts) -------------------
    async def load_markets(self) -> None:
        await self.market_data.load()

    def markets(self) -> dict[str, MarketSpec]:
        return self.market_data.markets()

    def spec(self, market: str, venue: str | None = None) -> MarketSpec | None:
        return self.market_data.spec(market, venue)

    def on_tick(self, tick: Tick) -> None:
        self.market_data.on_tick(tick)

    def mark(self, market: str, venue: str | None = None) -> float | None:
        return self.market_data.mark(market, venue)

    def daily_volatility(self, market: str, venue: str | None = None) -> float | None:
        return self.market_data.daily_volatility(market, venue)

    def volatility(self, market: str, venue: str | None = None) -> VolatilityEstimate:
        return self.market_data.volatility(market, venue)

    def portfolio(self, account: str, venue: str | None = None) -> Portfolio:
        return self.portfolios.get(account, venue)

    def reserved_margin(self, account: str, venue: str | None = None) -> float:
        """Margin held by `account`'s resting orders (not free for a new order), from the last read."""
        return self.portfolios.reserved(account, venue)

    async def refresh_portfolio(self, account: str, venue_name: str | None = None) -> Portfolio:
        return await self.portfolios.refresh(account, venue_name)

    # ----- settings ----------------------------------------------------------------------------
    def settings(self, account: str) -> AccountSettings:
        cached = self._settings.get(account)
        if cached is None:
            cached = self._settings[account] = self.store.settings.get(account)
        return cached

    def venue_max_leverage(self, venue: str | None = None) -> float:
        """The highest leverage any market of `venue` (default: every venue) allows: no limit may exceed it."""
        names = [venue] if venue is not None else list(self.selector.venues)
        tops = [spec.max_leverage for name in names for spec in self.market_data.markets(name).values()]
        return max(tops, default=1.0)

    async def save_settings(self, account: str, settings: AccountSettings) -> None:
        """Raises DomainError (nothing saved) when a limit exceeds what the venue's markets allow."""
        settings.check_venue_limits(self.venue_max_leverage(), before=self.settings(account))
        await self.store.write(self.store.settings.save, account, settings)
        self._settings[account] = settings
        await self.bus.publish_async(SettingsChanged(account))  # the monitor re-plans exits under the new rules

    def allowed_leverage(self, account: str, market: str) -> tuple[float, VolatilityCap | None]:
        spec = self.spec(market)
        if spec is None:
            raise DomainError("market", f"unknown market {market!r}")
        return RiskPolicy(self.settings(account).risk_limits()).allowed_leverage(spec, self.daily_volatility(market))

    # ----- preview (order ticket) ----------------------------------------------------------------
    def preview(
        self, action: str, amount: float, market: str, account: str, *, leverage: float,
        order_type: str = "market", price: float | None = None, conditions: TradeConditions | None = None,
        reduce_only: bool = False,
    ) -> RiskDecision:
        """What `execute_trade` would decide now, from cached state (resting orders' margin held back,
        the guards of order_guards applied); raises DomainError on bad input."""
        action, amount, market, account, leverage, order_type, price = preview_args(
            action, amount, market, account, leverage, order_type, price).unpacked()
        if conditions is not None and not isinstance(conditions, TradeConditions):
            raise DomainError("conditions", "must be TradeConditions or None")
        spec = self.spec(market)
        if spec is None:
            raise DomainError("market", f"unknown market {market!r}")
        side = OrderSide.parse(action)
        kind = OrderType.parse(order_type)
        mark = self.mark(market)
        deferred = entry_price(conditions)
        if deferred is not None:
            check_price = deferred  # an entry condition fills around its trigger, not today's mark
        elif kind is OrderType.LIMIT and price is not None:
            check_price = price
        elif mark is None:
            raise DomainError("price", f"no price yet for {market}")
        else:
            check_price = market_fill_price(side, mark)
        request = OrderRequest(account, market, side, amount, kind, price if kind is OrderType.LIMIT else None,
                               leverage, reduce_only)
        settings = self.settings(account)
        portfolio = self.portfolio(account)
        decision = RiskPolicy(settings.risk_limits()).evaluate(
            request, spec, portfolio, check_price, self.daily_volatility(market),
            reserved=self.portfolios.reserved(account, portfolio=portfolio), specs=self.markets())
        return apply_guards(decision, request, spec, settings, conditions, mark)

    # ----- placing orders ------------------------------------------------------------------------
    async def execute_trade(
        self, action: str, amount: float, market: str, account: str, *, leverage: float | None = None,
        order_type: str = "market", price: float | None = None, conditions: TradeConditions | None = None,
        reduce_only: bool = False, venue: str | None = None, purpose: str = "",
        position_before: float | None = None, trigger_price: float | None = None, time_in_force: str = "gtc",
    ) -> TradeResult:
        """`venue` pins the venue (closes go where the position is, healthy or not); else the selector picks.
        `purpose` (e.g. "stop_loss") is journaled with the intent and names the round trip it closes."""
        try:
            (action, amount, market, account, leverage, order_type, price, conditions, reduce_only, venue,
             purpose) = trade_args(action, amount, market, account, leverage, order_type, price, conditions,
                                   reduce_only, venue, purpose, venues=self.selector.venues).unpacked()
            tif = time_in_force_arg(time_in_force, order_type)
            if trigger_price is not None:
                trigger_price = v.positive("trigger_price", trigger_price)
            if position_before is not None:
                position_before = v.non_negative("position_before", position_before)
        except DomainError as exc:
            return TradeResult.refused(str(exc))
        try:
            settings = self.settings(account)
            side = OrderSide.parse(action)
            lev = v.finite("leverage", leverage) if leverage is not None else settings.default_leverage
            spec = self.spec(market)
            if spec is None:
                raise DomainError("market", f"unknown market {market!r}")
            if not spec.is_perp and leverage is None:
                lev = 1.0  # the default leverage applies to perps; spot always trades at 1x
            if lev > 1 and not spec.is_perp:
                raise DomainError("leverage", f"{market} is a spot market; leverage {lev:g}x needs a perp market")
            selection = self._select(venue, spec, settings)
            spec = self.spec(market, selection.name) or spec
            kind = OrderType.parse(order_type)
            request = OrderRequest(account, market, side, amount, kind, price if kind is OrderType.LIMIT else None,
                                   lev, reduce_only, time_in_force=tif)
            request.check_market({market: spec})
            check_order_options(selection.name, selection.venue, request)
        except (DomainError, NoVenueError) as exc:
            return TradeResult.refused(str(exc))

        if conditions is not None and conditions.has_entry:
            # The policy decides again when the entry fires; what is wrong already (a crossed trigger,
            # a stop past the liquidation price, a position inside the guard's buffer) is refused now.
            trigger = entry_price(conditions) or 0.0
            at_trigger = RiskPolicy(settings.risk_limits()).evaluate(
                request, spec, self.portfolio(account, selection.name), trigger)
            guarded = apply_guards(replace(at_trigger, reasons=()), request, spec, settings, conditions,
                                   self.mark(market, selection.name))
            if guarded.reasons:
                return TradeResult.refused(*(r.message for r in guarded.reasons), decision=guarded,
                                           venue=selection.name)
            return await self._arm_entry(request, conditions, selection)

        target = selection.venue
        decision: RiskDecision | None = None
        if not reduce_only:  # a reduce-only order only lowers risk: no policy stands between a position and its exit
            try:
                portfolio = await target.portfolio(account)
            except VenueError as exc:
                self.selector.record_failure(selection.name, str(exc))
                return TradeResult.refused(f"{selection.name}: {exc}", venue=selection.name)
            self.selector.record_success(selection.name)
            self.portfolios.store(selection.name, portfolio)
            mark = target.last_price(market) or self.mark(market, selection.name)
            if kind is OrderType.LIMIT and request.price is not None:
                check_price = request.price
            elif mark is None:
                return TradeResult.refused(f"no price yet for {market}", venue=selection.name)
            else:
                check_price = market_fill_price(side, mark)  # the worst it may fill at, whatever was passed
            reserved = 0.0
            if Capability.RESTING_ORDERS in getattr(target, "capabilities", frozenset()):
                try:
                    self.portfolios.store_orders(selection.name, account, await target.open_orders(account))
                except VenueError as exc:
                    return TradeResult.refused(f"{selection.name}: {exc}", venue=selection.name)
                reserved = self.portfolios.reserved(account, selection.name, portfolio)
            decision = RiskPolicy(settings.risk_limits()).evaluate(
                request, spec, portfolio, check_price, self.daily_volatility(market, selection.name), reserved=reserved,
                specs=self.market_data.venue_markets(selection.name))
            decision = apply_guards(decision, request, spec, settings, conditions, mark)
            if decision.leverage != request.leverage:
                request = replace(request, leverage=decision.leverage)
        request = request.with_client_id(target.new_client_id())
        if decision is not None and not decision.approved:
            reasons = tuple(r.message for r in decision.reasons)
            await self._journal_refusal(request, selection.name, "; ".join(reasons))
            return TradeResult.refused(*reasons, decision=decision, venue=selection.name)

        exits = conditions if conditions is not None and conditions.has_exits else None
        order = await self.orders.send(selection.name, request, purpose=purpose, exits=exits,
                                       position_before=position_before, trigger_price=trigger_price)
        if not reduce_only:  # closes log themselves ("closing …"); opens and adds said nothing before (QA 24)
            log.info("order %s %s: %s %g %s at %gx on %s%s", order.client_id, order.status.value, side.value, amount,
                     market, request.leverage, selection.name, f" ({purpose})" if purpose else "")
        return self._result(order, decision, selection)

    def order_options(self, account: str, market: str) -> frozenset[str]:
        """Options an order for `market` may carry on the venue it would go to (see order_options)."""
        spec = self.spec(market)
        try:
            selection = self._select(None, spec, self.settings(account)) if spec is not None else None
        except NoVenueError:
            selection = None
        return venue_order_options(selection.venue if selection is not None else None)

    def _select(self, venue: str | None, spec: MarketSpec, settings: AccountSettings) -> Selection:
        if venue is None:
            return self.selector.select(leverage_trade=spec.is_perp, settings=settings, market=spec.name,
                                        lists=lambda name, market: market in self.market_data.venue_markets(name))
        if venue not in self.selector.venues:
            raise NoVenueError(f"venue: {venue!r} is not configured")
        return Selection(venue, self.selector.venues[venue], "the venue holding the position")

    async def _journal_refusal(self, request: OrderRequest, venue: str, reason: str) -> None:
        now = self._clock()
        order = Order(request, OrderStatus.REJECTED, reason=reason, created_at=now, updated_at=now)
        try:
            await self.store.write(self.store.orders.record_intent, order, venue)
        except StorageError as exc:
            log.warning("could not journal a refused order: %s", exc)

    def _result(self, order: Order, decision: RiskDecision | None, selection: Selection) -> TradeResult:
        return TradeResult.of(order, decision, selection.name, primary=self.selector.primary, route=selection.reason)

    async def _arm_entry(self, request: OrderRequest, conditions: TradeConditions, selection: Selection) -> TradeResult:
        """Held here until the mark reaches the trigger: then a market order (stop-market) or, with a
        limit price, a limit order (stop-limit) is sent through execute_trade."""
        from grace_desktop.domain.conditions import EntryCondition

        try:
            EntryCondition(conditions.entry_below, conditions.entry_above)  # validates the bounds
        except DomainError as exc:
            return TradeResult.refused(str(exc))
        record = entry_record(request, conditions, selection.name, self._clock())
        try:
            cond_id = await self.store.write(self.store.conditions.add, record)
        except StorageError as exc:
            return TradeResult.refused(f"the journal could not record the entry condition: {exc}")
        await self.bus.publish_async(ConditionArmed(replace(record, id=cond_id)))
        return TradeResult(True, None, None, (), selection.name, f"entry condition #{cond_id} armed")

    # ----- closing -------------------------------------------------------------------------------
    async def find_position(self, account: str, market: str, venue: str | None = None) -> tuple[str, Position] | None:
        """The venue holding `account`'s position in `market` (primary first), read fresh.

        A venue that cannot answer does not hide a position held on another one (the primary is
        down exactly when trades went to the fallback); if none has it, the first error is raised.
        """
        names = [venue] if venue is not None else [self.selector.primary] + sorted(
            n for n in self.selector.venues if n != self.selector.primary)
        error: VenueError | None = None
        for name in names:
            if name not in self.selector.venues:
                continue
            try:
                positions = await self.selector.venues[name].positions(account)
            except VenueError as exc:
                if venue is not None:
                    raise
                self.selector.record_failure(name, str(exc))
                error = error or exc
                continue
            found = next((p for p in positions if p.market == market), None)
            if found is not None:
                return name, found
        if error is not None:
            raise error
        return None

    async def close_position(
        self, account: str, market: str, fraction: float = 1.0, reason: str = "manual", venue: str | None = None,
        trigger_price: float | None = None,
    ) -> TradeResult:
        """Reduce-only order against the open position, at its own leverage, on the venue that holds it.

        One close at a time per (venue, account, market), manual or automatic, each sized from a
        fresh position read; a close whose outcome is unknown is resolved before another is sent.
        """
        try:
            account, market, fraction, reason = close_args(account, market, fraction, reason).unpacked()
            if venue is not None and venue not in self.selector.venues:
                raise DomainError("venue", f"{venue!r} is not configured")
        except DomainError as exc:
            return TradeResult.refused(str(exc))
        if venue is not None:
            name = venue  # the monitor and the window name the venue: one read, under the lock
        else:
            try:
                held = await self.find_position(account, market)
            except VenueError as exc:  # find_position recorded each venue's failure itself
                return TradeResult.refused(f"could not read positions: {exc}")
            if held is None:
                return TradeResult.refused(f"no open position in {market}")
            name = held[0]
        lock = self._close_locks.setdefault((name, account, market), asyncio.Lock())
        async with lock:
            try:
                held = await self.find_position(account, market, name)  # fresh, now that no other close runs
            except VenueError as exc:
                self.selector.record_failure(name, str(exc))
                return TradeResult.refused(f"could not read positions from {name}: {exc}")
            if held is None:
                return TradeResult.refused(f"no open position in {market}")
            position = held[1]
            spec = self.spec(market, name) or self.spec(market)
            if spec is None:
                return TradeResult.refused(f"market: unknown market {market!r}")
            size = position.size if fraction >= 1 else round_down_to_lot(position.size * fraction, spec.lot_size)
            if size <= 0:
                size = position.size  # a reduce smaller than one lot closes what is left
            log.info("closing %s %s %s %s of %s (%s)", name, account, market, size, position.size, reason)
            return await self.execute_trade(
                OrderSide.closing(position.side).value, size, market, account, leverage=position.leverage,
                reduce_only=True, venue=name, purpose=reason, position_before=position.size,
                trigger_price=trigger_price)

    # ----- crash recovery ------------------------------------------------------------------------
    async def reconcile_intents(self) -> list[Order]:
        """Settle what the last run left open: found at the venue by client id, fills or positions; never resent."""
        return await self.orders.resume()
