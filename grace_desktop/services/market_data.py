"""Market data per venue: specs, marks and realized volatility, keyed by (venue, market).

Two venues may list the same market name at different prices (paper's simulated SOL-PERP
and a real service's), so nothing here is keyed by the market name alone. Callers that do
not name a venue get the primary venue's view, then any venue that has one.
"""

from __future__ import annotations

from collections.abc import Callable

from grace_desktop.domain.models import MarketSpec
from grace_desktop.domain.volatility import EwmaVolatility, VolatilityEstimate, estimate_of
from grace_desktop.services.selector import VenueSelector
from grace_desktop.venues.base import Tick

VenueMarket = tuple[str, str]


class MarketData:
    def __init__(self, selector: VenueSelector, *, vol_halflife: float = 3600.0,
                 clock: Callable[[], float] | None = None) -> None:
        self.selector = selector
        self._vol_halflife = vol_halflife
        self._specs: dict[str, dict[str, MarketSpec]] = {}
        self._merged: dict[str, MarketSpec] = {}
        self._marks: dict[VenueMarket, float] = {}
        self._vol: dict[VenueMarket, EwmaVolatility] = {}

    async def load(self) -> None:
        for name, venue in self.selector.venues.items():
            self._specs[name] = await venue.markets()
            for market in self._specs[name]:
                price = venue.last_price(market)
                if price is not None:
                    self._marks.setdefault((name, market), price)
        merged: dict[str, MarketSpec] = {}
        for name in self._venue_order():
            for market, spec in self._specs.get(name, {}).items():
                merged.setdefault(market, spec)  # the primary venue's spec wins
        self._merged = merged

    def _venue_order(self) -> list[str]:
        primary = self.selector.primary
        return [primary] + sorted(n for n in self.selector.venues if n != primary)

    def markets(self, venue: str | None = None) -> dict[str, MarketSpec]:
        """Every market (the primary venue's spec first), or only `venue`'s."""
        return dict(self._merged) if venue is None else dict(self._specs.get(venue, {}))

    def venue_markets(self, venue: str) -> dict[str, MarketSpec]:
        return dict(self._specs.get(venue, {}))

    def spec(self, market: str, venue: str | None = None) -> MarketSpec | None:
        if venue is not None:
            return self._specs.get(venue, {}).get(market)
        return self._merged.get(market)

    def on_tick(self, tick: Tick) -> None:
        key = (tick.venue or self.selector.primary, tick.market)
        self._marks[key] = tick.price
        est = self._vol.get(key)
        if est is None:
            est = self._vol[key] = EwmaVolatility(self._vol_halflife)
        est.update(tick.price, tick.market_time)  # market time: a fast replay is not a wild market

    def mark(self, market: str, venue: str | None = None) -> float | None:
        if venue is not None:
            return self._marks.get((venue, market))
        for name in self._venue_order():
            price = self._marks.get((name, market))
            if price is not None:
                return price
        return None

    def marks(self, venue: str) -> dict[str, float]:
        return {m: p for (v, m), p in self._marks.items() if v == venue}

    def daily_volatility(self, market: str, venue: str | None = None) -> float | None:
        names = [venue] if venue is not None else self._venue_order()
        for name in names:
            est = self._vol.get((name, market))
            if est is not None and est.ready:  # trusted: it covers enough market time
                return est.daily
        return None

    def volatility(self, market: str, venue: str | None = None) -> VolatilityEstimate:
        """The estimate the ticket shows: figure, trusted or not (the cap applies only when trusted), age."""
        names = [venue] if venue is not None else self._venue_order()
        ests = [e for e in (self._vol.get((n, market)) for n in names) if e is not None]
        best = next((e for e in ests if e.ready), ests[0] if ests else None)
        return estimate_of(best)
