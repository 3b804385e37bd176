"""Inputs and results of TradingService calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Order
from grace_desktop.domain.risk import RiskDecision

EXIT_KINDS = frozenset({"take_profit", "stop_loss", "trailing_stop"})
ALERT_KINDS = EXIT_KINDS | {"entry"}
CONFIRMING = "sent, confirming…"  # an order sent whose outcome the venue has not told yet


@dataclass(frozen=True, slots=True)
class TradeConditions:
    """Optional exits attached to a trade, and an optional entry condition that defers it."""

    take_profit: float | None = None
    stop_loss: float | None = None
    take_profit_percent: float | None = None
    stop_loss_percent: float | None = None
    trailing_percent: float | None = None
    entry_below: float | None = None
    entry_above: float | None = None
    # "Alert me, do not trade" for some of what is attached ("take_profit", "stop_loss",
    # "trailing_stop", "entry"); True means all of it. Everything else executes whatever the
    # account's auto-trading switch.
    alert_only: frozenset[str] | bool = frozenset()

    def __post_init__(self) -> None:
        given = self.alert_only
        if isinstance(given, bool):
            kinds: frozenset[str] | None = ALERT_KINDS if given else frozenset()
        elif isinstance(given, (set, frozenset, tuple, list)):
            kinds = frozenset(given)
        else:
            kinds = None
        if kinds is None or not kinds <= ALERT_KINDS:
            raise DomainError("alert_only", f"must be true/false or name some of {sorted(ALERT_KINDS)}, got {given!r}")
        object.__setattr__(self, "alert_only", kinds)
        for name in ("take_profit", "stop_loss", "entry_below", "entry_above"):
            value = getattr(self, name)
            if value is not None:
                price = v.real(name, value)  # strict: a huge int or a bool here is refused, never raised
                if price < 0:
                    raise DomainError(name, f"must be >= 0, got {price:g}")
                object.__setattr__(self, name, price)
        for name in ("take_profit_percent", "stop_loss_percent", "trailing_percent"):
            value = getattr(self, name)
            if value is not None:
                pct = v.real_positive(name, value)
                if pct >= 100:
                    raise DomainError(name, f"must be below 100 %, got {pct:g}")
                object.__setattr__(self, name, pct)

    @property
    def alert_kinds(self) -> frozenset[str]:
        """`alert_only` as the kinds it names (it is stored normalized)."""
        return cast(frozenset[str], self.alert_only)

    @property
    def has_entry(self) -> bool:
        return self.entry_below is not None or self.entry_above is not None

    @property
    def has_exits(self) -> bool:
        return any(
            x is not None
            for x in (self.take_profit, self.stop_loss, self.take_profit_percent, self.stop_loss_percent, self.trailing_percent)
        )


@dataclass(frozen=True, slots=True)
class TradeResult:
    success: bool
    order: Order | None = None
    decision: RiskDecision | None = None
    reasons: tuple[str, ...] = ()
    venue: str | None = None
    message: str = ""

    @classmethod
    def refused(cls, *reasons: str, decision: RiskDecision | None = None, venue: str | None = None,
                order: Order | None = None) -> TradeResult:
        return cls(False, order, decision, tuple(reasons), venue, "refused: " + "; ".join(reasons))

    @classmethod
    def of(cls, order: Order, decision: RiskDecision | None, venue: str, *, primary: str, route: str) -> TradeResult:
        """What an order sent to `venue` came to, said the way the window shows it; a route other
        than the primary venue says why (`route`)."""
        req = order.request
        if order.status in (OrderStatus.UNKNOWN, OrderStatus.SUBMITTED):
            msg = f"{CONFIRMING} {req.side.value} {req.size:g} {req.market} on {venue}"
            if order.status is OrderStatus.UNKNOWN and order.reason:
                msg += f"; {order.reason}"  # why it is not known yet (a reply lost, "failed to land")
            return cls(True, order, decision, (), venue, msg)
        if order.status not in (OrderStatus.FILLED, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
            return cls(False, order, decision, (order.reason,), venue, f"not placed: {order.reason}")
        at = f" @ {order.avg_fill_price:,.6g}" if order.avg_fill_price else (f" @ {req.price:,.6g}" if req.price else "")
        msg = f"{order.status.value}: {req.side.value} {req.size:g} {req.market}{at} on {venue}"
        if venue != primary:
            msg += f" ({route})"  # a fallback is worth saying; the usual route is not
        if decision is not None and decision.notes:
            msg += "; " + "; ".join(decision.notes)
        return cls(True, order, decision, (), venue, msg)
