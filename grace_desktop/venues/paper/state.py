"""One paper account's state, and a Change: a draft of that state plus what to persist and report.

The engine never edits live state while planning: it copies the account into a Change,
works on the copy, and the venue persists the Change before `PaperEngine.apply` swaps it
in. A refused order or a failed write therefore leaves nothing half-done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grace_desktop.domain.models import Order, Position
from grace_desktop.venues.paper.events import PaperEvent


@dataclass(slots=True)
class AccountState:
    balance: float
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)  # resting (open) orders by client id
    # Opening fees of each open position, so a close can report its round trip's full cost.
    # Persisted beside the position (paper_positions.entry_fees), so this survives a restart.
    entry_fees: dict[str, float] = field(default_factory=dict)

    def copy(self) -> AccountState:
        return AccountState(self.balance, dict(self.positions), dict(self.orders), dict(self.entry_fees))


@dataclass(slots=True)
class Change:
    account: str
    before: AccountState
    after: AccountState
    orders: dict[str, Order] = field(default_factory=dict)  # every order created or updated, any status
    markets: set[str] = field(default_factory=set)  # markets whose position or orders changed
    events: list[PaperEvent] = field(default_factory=list)

    @classmethod
    def begin(cls, account: str, state: AccountState) -> Change:
        return cls(account, state, state.copy())

    def record_order(self, order: Order) -> None:
        self.orders[order.client_id] = order
        self.markets.add(order.request.market)
        if order.status.is_final:
            self.after.orders.pop(order.client_id, None)
        else:
            self.after.orders[order.client_id] = order

    def set_position(self, market: str, position: Position | None, entry_fees: float = 0.0) -> None:
        self.markets.add(market)
        if position is None:
            self.after.positions.pop(market, None)
            self.after.entry_fees.pop(market, None)
        else:
            self.after.positions[market] = position
            self.after.entry_fees[market] = entry_fees

    @property
    def upsert_positions(self) -> list[Position]:
        return [
            self.after.positions[m]
            for m in sorted(self.markets)
            if m in self.after.positions and self.after.positions[m] != self.before.positions.get(m)
        ]

    @property
    def delete_positions(self) -> list[str]:
        return [m for m in sorted(self.markets) if m in self.before.positions and m not in self.after.positions]

    @property
    def empty(self) -> bool:
        return not self.orders and not self.markets and self.after.balance == self.before.balance
