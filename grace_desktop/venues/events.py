"""Typed events every venue reports through `Venue.events()`: what happened at the venue, after the fact.

The journal (round trips from fills), the monitor (positions to re-plan) and the window
subscribe to them; nobody looks up venue-specific listener methods. A venue that pushes
nothing (Mango's REST service) finds these by polling and reports them the same way.
Every event carries the venue and the account, so state stays keyed by (venue, account, market).
"""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.domain.models import Fill, Order, Position


@dataclass(frozen=True, slots=True)
class FillReported:
    """One fill of one order (liquidations come as `Liquidated`, never also as a FillReported)."""

    venue: str
    account: str
    fill: Fill  # fill.fill_id is unique per venue
    order: Order | None = None  # the order's state after this fill, where the venue knows it


@dataclass(frozen=True, slots=True)
class OrderChanged:
    """An order changed state without a fill: it started resting, was cancelled, expired or was rejected."""

    venue: str
    account: str
    order: Order


@dataclass(frozen=True, slots=True)
class PositionChanged:
    """The venue's position in a market is now `position` (None: flat)."""

    venue: str
    account: str
    market: str
    position: Position | None


@dataclass(frozen=True, slots=True)
class Liquidated:
    """The venue closed (part of) a position by liquidation; `fill` carries the liquidation fee in its fee."""

    venue: str
    account: str
    market: str
    fill: Fill  # fill.liquidation is True
    mark: float  # the price that crossed the liquidation price


@dataclass(frozen=True, slots=True)
class FundingPaid:
    """Funding booked to the account: `amount` < 0 when the position paid."""

    venue: str
    account: str
    market: str
    amount: float
    daily_rate: float
    ts: float
    funding_id: str  # unique per venue, so journaling is idempotent



@dataclass(frozen=True, slots=True)
class VenueNotice:
    """Something the user must hear about that is not a fill or an order change: a swap's balances
    disagreeing with its quote, a router fallback and why. The journal raises it as an alert."""

    venue: str
    account: str
    level: str  # "info" | "warning" | "critical"
    title: str
    text: str
    market: str | None = None


VenueEvent = FillReported | OrderChanged | PositionChanged | Liquidated | FundingPaid | VenueNotice
