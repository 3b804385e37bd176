"""Portfolios per (venue, account): the last read from the venue, revalued at that venue's marks.

Resting orders are kept beside them (read with the portfolio, then followed through
OrderUpdated), because the margin they hold is not free: the ticket's free collateral and the
risk policy subtract it, as the venue does.
"""

from __future__ import annotations

from dataclasses import replace

from grace_desktop.domain.models import Order, Portfolio
from grace_desktop.domain.order_checks import reserved_margin
from grace_desktop.services.events import EventBus, OrderUpdated, PortfolioChanged
from grace_desktop.services.market_data import MarketData
from grace_desktop.services.selector import VenueSelector
from grace_desktop.venues.base import Capability


class Portfolios:
    def __init__(self, selector: VenueSelector, market_data: MarketData, bus: EventBus) -> None:
        self.selector = selector
        self.market_data = market_data
        self.bus = bus
        self._cache: dict[tuple[str, str], Portfolio] = {}
        self._orders: dict[tuple[str, str], dict[str, Order]] = {}
        bus.subscribe(self._on_event, only=OrderUpdated)

    def get(self, account: str, venue: str | None = None) -> Portfolio:
        """Last known portfolio (no venue call); `venue` defaults to the primary venue."""
        venue = venue or self.selector.primary
        marks = self.market_data.marks(venue)
        cached = self._cache.get((venue, account))
        if cached is None:
            return Portfolio(account, 0.0, (), marks)
        merged = dict(cached.marks)
        merged.update(marks)
        return replace(cached, marks=merged)

    def store(self, venue: str, portfolio: Portfolio) -> None:
        self._cache[(venue, portfolio.account)] = portfolio
        # Every venue's: the positions panel lists them all (the status bar reads the primary's).
        self.bus.publish(PortfolioChanged(portfolio.account, self.get(portfolio.account, venue), venue))

    async def refresh(self, account: str, venue: str | None = None) -> Portfolio:
        """Read the portfolio (and resting orders, where the venue has them) and keep them; raises VenueError."""
        venue = venue or self.selector.primary
        target = self.selector.venues[venue]
        portfolio = await target.portfolio(account)
        if Capability.RESTING_ORDERS in getattr(target, "capabilities", frozenset()):
            self.store_orders(venue, account, await target.open_orders(account))
        self.store(venue, portfolio)
        return portfolio

    # ----- resting orders ------------------------------------------------------------------------
    def store_orders(self, venue: str, account: str, orders: list[Order]) -> None:
        self._orders[(venue, account)] = {o.client_id: o for o in orders if o.status.is_live}

    def open_orders(self, account: str, venue: str | None = None) -> list[Order]:
        return list(self._orders.get((venue or self.selector.primary, account), {}).values())

    def reserved(self, account: str, venue: str | None = None, portfolio: Portfolio | None = None) -> float:
        """Margin the venue holds for `account`'s resting orders (domain.order_checks.reserved_margin)."""
        venue = venue or self.selector.primary
        held = portfolio if portfolio is not None else self.get(account, venue)
        positions = {p.market: p for p in held.positions}
        specs = {name: spec for name in {o.request.market for o in self.open_orders(account, venue)}
                 if (spec := self.market_data.spec(name, venue)) is not None}
        return reserved_margin(self.open_orders(account, venue), positions, specs)

    def _on_event(self, event: object) -> None:
        if not isinstance(event, OrderUpdated):
            return
        key = (event.venue or self.selector.primary, event.account)
        orders = self._orders.setdefault(key, {})
        if event.order.status.is_live and event.order.request.price is not None:
            orders[event.order.client_id] = event.order
        else:
            orders.pop(event.order.client_id, None)
