"""What the paper venue tells its listeners after it has applied (and persisted) a change.

Every event is immutable and carries enough to journal it without asking the venue again:
a fill that closed (part of) a position carries the closed round trip (`ClosedPart`).
Liquidations are reported only as `LiquidationEvent` (never also as a FillEvent), with the
same `fill` and `closed` fields, so one journaling path handles both.
"""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.domain.enums import Side
from grace_desktop.domain.models import Fill, Order, Position
from grace_desktop.storage.records import TradeRecord


@dataclass(frozen=True, slots=True)
class ClosedPart:
    """The part of a fill that closed an existing position: one (partial) round trip.

    `realized_pnl` is the price PnL before fees; `fees` are this close's fee plus the closed
    share of the fees paid when the position was opened/added to (net = realized_pnl − fees).
    """

    account: str
    market: str
    side: Side  # side of the position that was closed
    size: float
    entry_price: float
    exit_price: float
    realized_pnl: float
    fees: float
    opened_at: float
    closed_at: float
    client_id: str
    reason: str  # "market" | "limit" | "liquidation"
    fully_closed: bool

    @property
    def net_pnl(self) -> float:
        return self.realized_pnl - self.fees

    def trade_record(self, venue: str = "paper") -> TradeRecord:
        """The journal row for this round trip (storage's TradeRecord: gross PnL, fees apart)."""
        return TradeRecord(
            account=self.account, market=self.market, side=self.side, size=self.size,
            entry_price=self.entry_price, exit_price=self.exit_price, realized_pnl=self.realized_pnl,
            fees=self.fees, opened_at=self.opened_at, closed_at=self.closed_at, venue=venue,
            close_reason=self.reason, client_id=self.client_id,
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


PaperEvent = FillEvent | OrderEvent | LiquidationEvent | FundingEvent
