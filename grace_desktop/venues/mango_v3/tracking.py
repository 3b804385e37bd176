"""What the adapter knows about the orders it sent: the service answers a place with a signature only,
so each order's state is assembled from the fill rows, open orders and time that carry its client id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType
from grace_desktop.domain.models import Fill, Order, OrderRequest
from grace_desktop.venues.mango_v3.parse import FillRow, ServiceOrder


@dataclass
class Tracked:
    account: str
    request: OrderRequest  # as sent (a reduce-only close is sized to the position it reduces)
    created_at: float
    ioc: bool
    status: OrderStatus = OrderStatus.SUBMITTED
    fills: list[Fill] = field(default_factory=list)
    venue_order_id: str | None = None
    reason: str = ""
    updated_at: float = 0.0
    seen_open: bool = False
    missing_since: float | None = None
    _order: Order | None = None

    @property
    def filled(self) -> float:
        return round(sum(f.size for f in self.fills), 12)

    @property
    def complete(self) -> bool:
        return self.filled >= self.request.size - 1e-12

    def order(self) -> Order:
        """The order's state; the same object while nothing changes (callers compare them)."""
        filled = self.filled
        avg = sum(f.size * f.price for f in self.fills) / filled if filled else None
        order = Order(self.request, self.status, self.venue_order_id, filled, avg, self.reason, self.created_at,
                      self.updated_at or self.created_at)
        if order != self._order:
            self._order = order
        assert self._order is not None
        return self._order

    def add_fill(self, fill: Fill, order_id: str) -> Order:
        self.fills.append(fill)
        self.updated_at = fill.ts
        self.venue_order_id = self.venue_order_id or order_id or None
        if not self.status.is_final or self.status is OrderStatus.EXPIRED:
            self.status = OrderStatus.FILLED if self.complete else OrderStatus.PARTIALLY_FILLED
            if self.status is OrderStatus.FILLED:
                self.reason = ""
        return self.order()

    def finish(self, status: OrderStatus, reason: str, now: float) -> Order:
        self.status, self.reason, self.updated_at = status, reason, now
        return self.order()


def fill_of(row: FillRow, taker: bool) -> Fill:
    """Our side of one fill event; the fee is the event's rate times the notional (a maker rebate is negative)."""
    rate = row.taker_fee if taker else row.maker_fee
    side = OrderSide(row.taker_side) if taker else OrderSide(row.taker_side).opposite
    cid = row.taker_client_id if taker else row.maker_client_id
    return Fill(cid, row.market, side, row.quantity, row.price, row.price * row.quantity * rate, row.ts,
                maker=not taker, fill_id=f"{row.market}:{row.seq}:{'t' if taker else 'm'}")


class Attribution:
    """Which side of a fill event is ours. The service never names its Mango account, so the adapter
    learns it from the first fill carrying one of its own client ids (or is told it)."""

    def __init__(self, pubkey: str | None = None) -> None:
        self.pubkey = pubkey

    def ours(self, rows: Iterable[FillRow], known: set[str]) -> list[tuple[Fill, str]]:
        """(fill, the order id of our side) for every side of `rows` that is ours."""
        out: list[tuple[Fill, str]] = []
        for row in rows:
            if self.pubkey is None:
                if row.taker_client_id in known:
                    self.pubkey = row.taker
                elif row.maker_client_id in known:
                    self.pubkey = row.maker
            if self.pubkey is None:
                continue
            if row.taker == self.pubkey:
                out.append((fill_of(row, True), row.taker_order_id))
            if row.maker == self.pubkey:
                out.append((fill_of(row, False), row.maker_order_id))
        return out


def resting_order(account: str, row: ServiceOrder, tracked: Tracked | None) -> Order:
    """An open order as the domain knows it: ours with its request, or someone else's as found."""
    if tracked is not None:
        return tracked.order()
    request = OrderRequest(account, row.market, row.side, row.size, OrderType.LIMIT, row.price,
                           client_id=row.client_id or f"mango-{row.order_id}")
    created = row.created_at or 0.0
    return Order(request, OrderStatus.OPEN, row.order_id, created_at=created, updated_at=created)


def order_from_fills(account: str, client_id: str, fills: list[Fill]) -> Order:
    """An order this run did not send (a restart), rebuilt from its fills: filled as far as they go."""
    size = round(sum(f.size for f in fills), 12)
    request = OrderRequest(account, fills[0].market, fills[0].side, size, client_id=client_id)
    avg = sum(f.size * f.price for f in fills) / size
    return Order(request, OrderStatus.FILLED, None, size, avg, "found by its fills", fills[0].ts, fills[-1].ts)
