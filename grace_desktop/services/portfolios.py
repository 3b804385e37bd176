"""Portfolios per (venue, account): the last read from the venue, revalued at that venue's marks."""

from __future__ import annotations

from dataclasses import replace

from grace_desktop.domain.models import Portfolio
from grace_desktop.services.events import EventBus, PortfolioChanged
from grace_desktop.services.market_data import MarketData
from grace_desktop.services.selector import VenueSelector


class Portfolios:
    def __init__(self, selector: VenueSelector, market_data: MarketData, bus: EventBus) -> None:
        self.selector = selector
        self.market_data = market_data
        self.bus = bus
        self._cache: dict[tuple[str, str], Portfolio] = {}

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
        """Read the portfolio from the venue (raises VenueError) and keep it."""
        venue = venue or self.selector.primary
        portfolio = await self.selector.venues[venue].portfolio(account)
        self.store(venue, portfolio)
        return portfolio
