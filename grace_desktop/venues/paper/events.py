"""What the paper venue's engine reports after it has applied (and persisted) a change.

The venue turns these into the protocol's typed `venues.events` for `events()`; the
listener methods that hand them out as they are go away once the services subscribe.

Every event is immutable and carries enough to journal it without asking the venue again:
a fill that closed (part of) a position carries the closed round trip (`ClosedPart`).
Liquidations are reported only as `LiquidationEvent` (never also as a FillEvent), with the
same `fill` and `closed` fields, so one journaling path handles both.
"""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.domain.enums import Side
from grace_desktop.domain.models import Fill, Order, Position
from grace_desktop.domain.positions import ClosedPart
from grace_desktop.storage.records import TradeRecord

__all__ = [
    "ClosedPart", "FillEvent", "FundingEvent", "LiquidationEvent", "OrderEvent", "PaperEvent", "trade_record",
]


def trade_record(closed: ClosedPart, venue: str = "paper") -> TradeRecord:
    """The journal row for a closed round trip (storage's TradeRecord: gross PnL, fees apart)."""
    return TradeRecord(
        account=closed.account, market=closed.market, side=closed.side, size=closed.size,
        entry_price=closed.entry_price, exit_price=closed.exit_price, realized_pnl=closed.realized_pnl,
        fees=closed.fees, opened_at=closed.opened_at, closed_at=closed.closed_at, venue=venue,
        close_reason=closed.reason, client_id=closed.client_id,
    )


@dataclass(frozen=True, slots=True)
class FillEvent:
    account: str
    market: str
    order: Order  # the order's state after this fill
    fill: Fill
    reason: str  # "market" (taker, on placement) | "limit" (a resting order was crossed)
    position: Position | None  # the position after the fill (None once flat)
    balance: float  # account balance after the fill
    closed: ClosedPart | None  # set when the fill reduced, closed or flipped a position


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An order changed state without a fill: it started resting, or was cancelled (by the user or the venue)."""

    account: str
    order: Order


@dataclass(frozen=True, slots=True)
class LiquidationEvent:
    account: str
    market: str
    side: Side
    size: float
    entry_price: float
    liquidation_price: float  # where it was closed: domain.margin.position_liquidation_price
    mark: float  # the tick that crossed it
    leverage: float
    collateral: float
    realized_pnl: float  # price PnL at the liquidation price
    liquidation_fee: float
    balance: float  # account balance after
    ts: float
    order: Order  # the venue-generated reduce-only order, persisted like any other
    fill: Fill
    closed: ClosedPart


@dataclass(frozen=True, slots=True)
class FundingEvent:
    account: str
    market: str
    side: Side
    size: float
    index_price: float
    daily_rate: float  # positive: longs pay shorts
    elapsed_s: float
    amount: float  # cash booked to the account: negative when the position paid
    balance: float
    ts: float
    funding_id: str = ""  # unique per venue, so journaling it is idempotent
    position: Position | None = None  # the position after the payment (its realized PnL moved)


PaperEvent = FillEvent | OrderEvent | LiquidationEvent | FundingEvent
