"""Typed records the repositories return (and accept where no domain model fits)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from grace_desktop.domain.enums import Side
from grace_desktop.domain.models import Order, Position

CONDITION_KINDS = ("entry", "take_profit", "stop_loss", "trailing_stop")
CONDITION_STATUSES = ("armed", "fired", "cancelled")
ALERT_LEVELS = ("info", "warning", "error", "critical")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    return float(value)


def _text(name: str, value: object) -> str:
    if type(value) is str and value and not value[0].isspace() and not value[-1].isspace():
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name}: must be a non-empty string, got {value!r}")
    return value.strip()


@dataclass(frozen=True, slots=True)
class AccountRecord:
    name: str
    venue: str
    created_at: float
    internal: bool = False  # the app's own (the self-test's): hidden from the user's list


@dataclass(frozen=True, slots=True)
class OrderRecord:
    id: int
    order: Order
    venue: str
    purpose: str = ""  # why it was sent: "manual", "stop_loss", "liquidation_guard"...
    trigger_price: float | None = None  # the tick that fired the rule that sent it (auto-trading closes)


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """A closed (or partially closed) round trip.

    realized_pnl is the price PnL before fees; fees are booked separately (net = realized_pnl - fees).
    """

    account: str
    market: str
    side: Side
    size: float
    entry_price: float
    exit_price: float
    realized_pnl: float
    fees: float
    opened_at: float
    closed_at: float
    venue: str = "paper"
    close_reason: str = ""
    client_id: str = ""
    id: int | None = None
    fill_id: str = ""  # the venue's id of the fill that closed it: one trade per fill, however often replayed

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "account", _text("account", self.account))
        set_(self, "market", _text("market", self.market))
        if type(self.side) is not Side:
            set_(self, "side", Side.parse(self.side))
        for name in ("venue", "close_reason", "client_id", "fill_id"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name}: must be a string, got {getattr(self, name)!r}")
        size, entry, exit_, pnl, fees = self.size, self.entry_price, self.exit_price, self.realized_pnl, self.fees
        opened, closed = self.opened_at, self.closed_at
        # Fast path for the common case (journals are bulk-loaded): all floats, finite (a NaN or inf
        # makes the sum non-finite), and positive where they must be. Anything else takes the slow path.
        if not (
            type(size) is float and type(entry) is float and type(exit_) is float and type(pnl) is float
            and type(fees) is float and type(opened) is float and type(closed) is float
            and math.isfinite(size + entry + exit_ + pnl + fees + opened + closed)
            and size > 0 and entry > 0 and exit_ > 0
        ):  # fmt: skip
            for name in _TRADE_NUMBERS:
                set_(self, name, _number(name, getattr(self, name)))
            for name in ("size", "entry_price", "exit_price"):
                if getattr(self, name) <= 0:
                    raise ValueError(f"{name}: must be > 0, got {getattr(self, name)!r}")
        if self.closed_at < self.opened_at:
            raise ValueError(f"closed_at: {self.closed_at} is before opened_at {self.opened_at}")


_TRADE_NUMBERS = ("size", "entry_price", "exit_price", "realized_pnl", "fees", "opened_at", "closed_at")


@dataclass(frozen=True, slots=True)
class TradeTotals:
    """Sums over a filter. wins/losses count trades whose net PnL (realized_pnl - fees) is > 0 / < 0."""

    count: int
    realized_pnl: float
    fees: float
    wins: int
    losses: int

    @property
    def net_pnl(self) -> float:
        return self.realized_pnl - self.fees


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    account: str
    market: str
    side: Side
    size: float
    entry_price: float
    mark: float
    leverage: float
    unrealized_pnl: float
    ts: float


@dataclass(frozen=True, slots=True)
class ConditionRecord:
    """An armed trigger. params: entry {"side","size","leverage","price_below","price_above"};
    exits {"price"} or {"percent"}; trailing_stop {"percent"}."""

    account: str
    market: str
    kind: str
    params: dict[str, Any]
    status: str = "armed"
    id: int | None = None
    created_at: float = 0.0
    fired_at: float | None = None
    fired_price: float | None = None
    reason: str = ""
    venue: str = ""  # of the position it belongs to; "" for conditions stored before venues were tracked
    alert_only: bool = False  # the user chose "alert me, do not trade" for it

    def __post_init__(self) -> None:
        if not isinstance(self.alert_only, bool):
            raise ValueError(f"alert_only: must be true or false, got {self.alert_only!r}")
        if not isinstance(self.venue, str):
            raise ValueError(f"venue: must be a string, got {self.venue!r}")
        object.__setattr__(self, "account", _text("account", self.account))
        object.__setattr__(self, "market", _text("market", self.market))
        if self.kind not in CONDITION_KINDS:
            raise ValueError(f"kind: must be one of {', '.join(CONDITION_KINDS)}, got {self.kind!r}")
        if self.status not in CONDITION_STATUSES:
            raise ValueError(f"status: must be one of {', '.join(CONDITION_STATUSES)}, got {self.status!r}")
        if not isinstance(self.params, dict):
            raise ValueError(f"params: must be a dict, got {type(self.params).__name__}")


@dataclass(frozen=True, slots=True)
class AlertRecord:
    ts: float
    level: str
    title: str
    text: str
    account: str = ""
    market: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        if self.level not in ALERT_LEVELS:
            raise ValueError(f"level: must be one of {', '.join(ALERT_LEVELS)}, got {self.level!r}")
        _number("ts", self.ts)
        _text("title", self.title)
        if not isinstance(self.text, str):
            raise ValueError(f"text: must be a string, got {self.text!r}")


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    id: int
    ts: float
    account: str
    market: str
    rule: str
    price: float | None
    action: str
    detail: str


@dataclass(frozen=True, slots=True)
class PaperState:
    """What the paper venue persisted for one account; balance None means never saved."""

    balance: float | None
    positions: list[Position] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    entry_fees: dict[str, float] = field(default_factory=dict)  # market -> opening fees of the open position


@dataclass(frozen=True, slots=True)
class LedgerPosition:
    """The journal's own view of one open position, built from fills (not from what a venue reports).

    entry_fees are the opening fees not yet booked to a closed trade.
    """

    venue: str
    account: str
    market: str
    side: Side
    size: float
    entry_price: float
    leverage: float
    entry_fees: float
    opened_at: float
    updated_at: float

    def __post_init__(self) -> None:
        for name in ("venue", "account", "market"):
            object.__setattr__(self, name, _text(name, getattr(self, name)))
        if type(self.side) is not Side:
            object.__setattr__(self, "side", Side.parse(self.side))
        for name in ("size", "entry_price", "leverage", "entry_fees", "opened_at", "updated_at"):
            object.__setattr__(self, name, _number(name, getattr(self, name)))
        for name in ("size", "entry_price", "leverage"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be > 0, got {getattr(self, name)!r}")
