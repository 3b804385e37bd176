"""Routes each trade to a venue that can take it, tracks venue health and says why it chose."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from grace_desktop.domain.settings import AccountSettings
from grace_desktop.venues.base import Venue

# After this many consecutive failures a venue counts as unhealthy until a call succeeds.
UNHEALTHY_AFTER = 3


@dataclass
class VenueState:
    last_success: float | None = None
    last_error: str = ""
    error_streak: int = 0

    @property
    def healthy(self) -> bool:
        return self.error_streak < UNHEALTHY_AFTER


@dataclass(frozen=True, slots=True)
class Selection:
    name: str
    venue: Venue
    reason: str


class NoVenueError(Exception):
    """No venue may take this trade; the message says why."""


class VenueSelector:
    """`primary` is the venue the user configured for leverage trades; `spot` for spot trades.

    Leverage trades go to the primary perp venue while it is healthy; to paper only when
    the user allowed that fallback. A leverage trade never goes to a venue without perps.
    """

    def __init__(
        self,
        venues: Mapping[str, Venue],
        primary: str = "paper",
        spot: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if primary not in venues:
            raise ValueError(f"primary venue {primary!r} is not configured")
        self.venues = dict(venues)
        self.primary = primary
        self.spot = spot if spot in venues else None
        self.states: dict[str, VenueState] = {name: VenueState() for name in venues}
        self._clock = clock

    def record_success(self, name: str) -> None:
        state = self.states.setdefault(name, VenueState())
        state.last_success = self._clock()
        state.error_streak = 0
        state.last_error = ""

    def record_failure(self, name: str, error: str) -> None:
        state = self.states.setdefault(name, VenueState())
        state.error_streak += 1
        state.last_error = error

    def healthy(self, name: str) -> bool:
        return self.states.get(name, VenueState()).healthy

    def select(self, *, leverage_trade: bool, settings: AccountSettings, market: str | None = None,
               lists: Callable[[str, str], bool] | None = None) -> Selection:
        """`lists(venue, market)` says whether a venue lists `market`: a spot trade then goes only
        to a venue that has it (Mango lists perps only, so its spot trades go to paper)."""
        if leverage_trade:
            return self._select_perp(settings)
        return self._select_spot(settings, market, lists)

    def _select_perp(self, settings: AccountSettings) -> Selection:
        primary = self.venues[self.primary]
        if not primary.supports_leverage:
            raise NoVenueError(f"{self.primary} has no perpetual markets; configure a perp venue for leverage trades")
        if self.healthy(self.primary):
            return Selection(self.primary, primary, f"{self.primary} is the configured perp venue and healthy")
        why = f"{self.primary} is unhealthy ({self.states[self.primary].last_error or 'repeated errors'})"
        paper = self.venues.get("paper")
        if self.primary != "paper" and paper is not None and settings.allow_paper_fallback:
            return Selection("paper", paper, f"{why}; falling back to paper as allowed in settings")
        raise NoVenueError(f"{why}; no allowed fallback (enable paper fallback in settings to use it)")

    def _select_spot(self, settings: AccountSettings, market: str | None = None,
                     lists: Callable[[str, str], bool] | None = None) -> Selection:
        if self.spot is not None:
            if self.healthy(self.spot):
                return Selection(self.spot, self.venues[self.spot], f"{self.spot} is the configured spot venue")
            why = f"{self.spot} is unhealthy ({self.states[self.spot].last_error or 'repeated errors'})"
            if "paper" in self.venues and settings.allow_paper_fallback:
                return Selection("paper", self.venues["paper"], f"{why}; falling back to paper as allowed")
            raise NoVenueError(why)
        if market is not None and lists is not None and not lists(self.primary, market):
            return self._spot_elsewhere(market, lists)
        venue = self.venues[self.primary]
        if not self.healthy(self.primary):
            raise NoVenueError(f"{self.primary} is unhealthy ({self.states[self.primary].last_error})")
        return Selection(self.primary, venue, f"no separate spot venue; {self.primary} lists spot markets")

    def _spot_elsewhere(self, market: str, lists: Callable[[str, str], bool]) -> Selection:
        """The primary (a perp-only venue such as Mango) does not list this spot market: paper first,
        then any other healthy venue that lists it. Not a fallback, so no setting gates it."""
        others = sorted((n for n in self.venues if n != self.primary), key=lambda n: (n != "paper", n))
        for name in others:
            if lists(name, market) and self.healthy(name):
                return Selection(name, self.venues[name], f"{self.primary} lists no spot market {market}; "
                                 f"spot trades go to {name}, which lists it")
        unhealthy = [n for n in others if lists(n, market)]
        if unhealthy:
            raise NoVenueError(f"{self.primary} lists no spot market {market} and {unhealthy[0]} is unhealthy "
                               f"({self.states[unhealthy[0]].last_error or 'repeated errors'})")
        raise NoVenueError(f"no configured venue lists the spot market {market}")
