"""What the paper venue reports about a change it applied: typed venue events, history rows, listeners.

The engine describes a change with its own `PaperEvent`s (which carry the closed round
trip and balances). From those this module derives, in one place:
- the protocol's `VenueEvent`s for `events()`, in the order things happened;
- the fills and funding the venue keeps as its own history (saved with the change);
- the legacy per-kind listeners (`add_fill_listener`...), kept until the services subscribe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from grace_desktop.domain.models import Fill
from grace_desktop.storage.paper import PaperFunding
from grace_desktop.venues.events import (
    FillReported,
    FundingPaid,
    Liquidated,
    OrderChanged,
    PositionChanged,
    VenueEvent,
)
from grace_desktop.venues.paper.events import FillEvent, FundingEvent, LiquidationEvent, OrderEvent, PaperEvent

log = logging.getLogger(__name__)
Listener = Callable[[Any], None]


def venue_events(venue: str, events: Iterable[PaperEvent]) -> list[VenueEvent]:
    """The typed events `events()` reports for one applied change (a position change after each fill)."""
    out: list[VenueEvent] = []
    for event in events:
        if isinstance(event, FillEvent):
            out.append(FillReported(venue, event.account, event.fill, event.order))
            out.append(PositionChanged(venue, event.account, event.market, event.position))
        elif isinstance(event, LiquidationEvent):
            out.append(Liquidated(venue, event.account, event.market, event.fill, event.mark))
            out.append(PositionChanged(venue, event.account, event.market, None))
        elif isinstance(event, OrderEvent):
            out.append(OrderChanged(venue, event.account, event.order))
        elif isinstance(event, FundingEvent):
            out.append(funding_paid(venue, event))
            if event.position is not None:
                out.append(PositionChanged(venue, event.account, event.market, event.position))
    return out


def funding_paid(venue: str, event: FundingEvent) -> FundingPaid:
    return FundingPaid(venue, event.account, event.market, event.amount, event.daily_rate, event.ts, event.funding_id)


def history(events: Iterable[PaperEvent]) -> tuple[list[Fill], list[PaperFunding]]:
    """The fills (liquidations included) and funding payments a change books, to save with it."""
    fills: list[Fill] = []
    funding: list[PaperFunding] = []
    for event in events:
        if isinstance(event, (FillEvent, LiquidationEvent)):
            fills.append(event.fill)
        elif isinstance(event, FundingEvent):
            funding.append(PaperFunding(event.funding_id, event.account, event.market, event.amount,
                                        event.daily_rate, event.ts))
    return fills, funding


def to_funding_paid(venue: str, row: PaperFunding) -> FundingPaid:
    return FundingPaid(venue, row.account, row.market, row.amount, row.daily_rate, row.ts, row.funding_id)


class Listeners:
    """Synchronous per-kind callbacks on the engine's own events (legacy: `events()` replaces them)."""

    def __init__(self) -> None:
        self._by_kind: dict[type, list[Listener]] = {
            FillEvent: [], LiquidationEvent: [], FundingEvent: [], OrderEvent: [],
        }

    def add(self, kind: type, callback: Listener) -> Callable[[], None]:
        listeners = self._by_kind[kind]
        listeners.append(callback)
        return lambda: listeners.remove(callback) if callback in listeners else None

    def emit(self, events: Iterable[PaperEvent]) -> None:
        for event in events:
            for listener in tuple(self._by_kind[type(event)]):
                try:
                    listener(event)
                except Exception:
                    log.exception("%s listener failed", type(event).__name__)
