"""How one fill changes an isolated position: open, add (average entry), reduce, close, flip.

The one place fill accounting lives: the paper venue books fills with it, and the journal
can replay a venue's fills through it to rebuild positions, round trips and cash.
Pure functions over immutable domain records. Collateral is size·entry/L on open, grows by
size·price/L on an add and shrinks pro rata on a reduce, so a reduce never moves the
liquidation price and an add at the same leverage keeps it where the ticket said.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from grace_desktop.domain import margin
from grace_desktop.domain.enums import OrderSide, Side
from grace_desktop.domain.models import MarketSpec, Position


def lots(size: float, spec: MarketSpec) -> float:
    """`size` snapped to a whole number of lots (kills float dust such as 0.30000000000000004)."""
    return round(round(size / spec.lot_size) * spec.lot_size, 12)


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


@dataclass(frozen=True, slots=True)
class FillOutcome:
    position: Position | None  # after the fill
    closed: ClosedPart | None
    cash: float  # booked to the balance: realized price PnL minus this fill's fee
    entry_fees: float  # opening fees still attributed to the open position
    opened: float  # size that opened or increased exposure (0 for a pure reduce)


def apply_fill(
    position: Position | None,
    *,
    spec: MarketSpec,
    account: str,
    side: OrderSide,
    size: float,
    price: float,
    fee: float,
    leverage: float,
    ts: float,
    entry_fees: float,
    client_id: str,
    reason: str,
) -> FillOutcome:
    """What a fill of `size` at `price` (paying `fee`) does to `position` (None: flat).

    `entry_fees` are the opening fees still attributed to `position`; `leverage` is the
    order's, used for what the fill opens. The outcome's `cash` is what the balance books.
    """
    if position is None:
        return FillOutcome(_open(account, spec, side, size, price, fee, leverage, ts), None, -fee, fee, size)
    if side.position_side is position.side:
        return _add(position, spec, size, price, fee, leverage, entry_fees)

    closing = min(size, position.size)
    remainder = lots(size - closing, spec)
    close_fee = fee * closing / size
    pnl = margin.unrealized_pnl(position.side, closing, position.entry_price, price)
    left = lots(position.size - closing, spec)
    share = closing / position.size
    closed = ClosedPart(
        account=account,
        market=spec.name,
        side=position.side,
        size=closing,
        entry_price=position.entry_price,
        exit_price=price,
        realized_pnl=pnl,
        fees=close_fee + entry_fees * share,
        opened_at=position.opened_at,
        closed_at=ts,
        client_id=client_id,
        reason=reason,
        fully_closed=left <= 0,
    )
    if left > 0:
        reduced = replace(
            position,
            size=left,
            collateral=position.collateral * left / position.size,
            realized_pnl=position.realized_pnl + pnl - close_fee,
        )
        return FillOutcome(reduced, closed, pnl - close_fee, entry_fees * (1 - share), 0.0)
    if remainder <= 0:
        return FillOutcome(None, closed, pnl - close_fee, 0.0, 0.0)
    open_fee = fee - close_fee
    flipped = _open(account, spec, side, remainder, price, open_fee, leverage, ts)
    return FillOutcome(flipped, closed, pnl - fee, open_fee, remainder)


def _open(
    account: str, spec: MarketSpec, side: OrderSide, size: float, price: float, fee: float, leverage: float, ts: float
) -> Position:
    return Position(
        account=account,
        market=spec.name,
        side=side.position_side,
        size=size,
        entry_price=price,
        leverage=leverage,
        collateral=size * price / leverage,
        realized_pnl=-fee,
        opened_at=ts,
    )


def _add(
    position: Position, spec: MarketSpec, size: float, price: float, fee: float, leverage: float, entry_fees: float
) -> FillOutcome:
    new_size = lots(position.size + size, spec)
    entry = (position.size * position.entry_price + size * price) / new_size
    collateral = position.collateral + size * price / leverage
    if leverage == position.leverage:
        new_leverage = leverage  # size·entry/collateral equals it up to float noise; keep it exact
    else:
        new_leverage = max(1.0, margin.leverage_for_margin(new_size, entry, collateral))
    added = replace(
        position,
        size=new_size,
        entry_price=entry,
        leverage=new_leverage,
        collateral=collateral,
        realized_pnl=position.realized_pnl - fee,
    )
    return FillOutcome(added, None, -fee, entry_fees + fee, size)


def apply_funding(position: Position, amount: float) -> Position:
    """`position` after funding `amount` was booked to it (negative: it paid)."""
    return replace(position, realized_pnl=position.realized_pnl + amount)
