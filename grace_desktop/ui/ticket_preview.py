"""What the order ticket shows for a given input: no Qt here, every figure from services/domain.

`TicketBackend` is the part of TradingService the ticket reads; TradingService itself is
passed in the app, so the labels and the order that is finally sent use the same policy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from grace_desktop.domain import mango_health, margin, sizing
from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderType, Side
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import SPOT_WALLET, MarketSpec, OrderRequest, Portfolio
from grace_desktop.domain.order_checks import loss_at_stop, stop_levels
from grace_desktop.domain.position_after import PositionAfter
from grace_desktop.domain.risk import RiskDecision
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.domain.volatility import VolatilityCap
from grace_desktop.services.trade_types import TradeConditions


class TicketBackend(Protocol):
    def markets(self) -> dict[str, MarketSpec]: ...

    def mark(self, market: str) -> float | None: ...

    def daily_volatility(self, market: str) -> float | None: ...

    def allowed_leverage(self, account: str, market: str) -> tuple[float, VolatilityCap | None]: ...

    def preview(
        self, action: str, amount: float, market: str, account: str, *, leverage: float,
        order_type: str = "market", price: float | None = None, conditions: TradeConditions | None = None,
        reduce_only: bool = False,
    ) -> RiskDecision: ...

    def portfolio(self, account: str) -> Portfolio: ...

    def reserved_margin(self, account: str) -> float: ...

    def order_options(self, account: str, market: str) -> frozenset[str]: ...

    def settings(self, account: str) -> AccountSettings: ...


@dataclass(frozen=True, slots=True)
class TicketInput:
    """The raw state of the ticket's fields (text exactly as typed)."""

    account: str
    market: str
    action: str  # "buy" | "sell"
    order_type: str  # "market" | "limit"
    size_text: str
    price_text: str
    leverage: float
    take_profit_text: str = ""
    stop_loss_text: str = ""
    take_profit_pct_text: str = ""
    stop_loss_pct_text: str = ""
    trailing_pct_text: str = ""
    entry_below_text: str = ""
    entry_above_text: str = ""
    reduce_only: bool = False
    time_in_force: str = "gtc"  # limit orders: "gtc" | "ioc" | "post_only"
    alert_only: frozenset[str] = frozenset()
    # Reads a field's text as a number in the user's locale (ui.number_input.NumberReader.parse);
    # None: `plain_number`, which knows only '.' as the decimal mark.
    numbers: Callable[[str, str], float | None] | None = None


# (field, text) -> number or None (blank); raises DomainError naming the field.
NumberParser = Callable[[str, str], "float | None"]


@dataclass(frozen=True, slots=True)
class TicketOrder:
    """A validated order the ticket asks the window to send through TradingService."""

    account: str
    market: str
    action: str
    size: float
    order_type: str
    price: float | None
    leverage: float
    conditions: TradeConditions | None = None
    reduce_only: bool = False
    time_in_force: str = "gtc"


@dataclass(slots=True)
class TicketPreview:
    spec: MarketSpec | None = None
    price: float | None = None  # the price the order is valued at (mark or limit)
    mark: float | None = None
    daily_vol: float | None = None
    allowed_leverage: float = 1.0
    cap: VolatilityCap | None = None
    liquidation_price: float | None = None
    distance_pct: float | None = None
    distance_sigmas: float | None = None
    decision: RiskDecision | None = None
    free_collateral: float | None = None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    order: TicketOrder | None = None
    size: float | None = None  # the size as parsed: what the button says and what is sent
    after: PositionAfter | None = None  # the position the order leaves
    stop: float | None = None  # the first stop the order attaches, as a price
    loss_at_stop: float | None = None  # money lost if that stop closes the whole resulting position
    equity: float | None = None
    # A spot wallet's buy is a swap exact in what it spends (size × price of the quote token), so the
    # size it gets is approximate: the button says both.
    spends: float | None = None

    @property
    def can_submit(self) -> bool:
        return self.order is not None and not self.reasons


def plain_number(field_name: str, text: str) -> float | None:
    """A number written with '.' as the decimal mark and no grouping; a comma is never guessed at."""
    text = text.strip()
    if not text:
        return None
    if "," in text:
        raise DomainError(field_name, f"{text!r} is ambiguous: write the decimal mark as '.' and no thousands separator")
    return v.finite(field_name, text)


def optional_number(field_name: str, text: str, numbers: NumberParser | None = None) -> float | None:
    """A positive number or None (blank), read by `numbers` (the locale's reader)."""
    value = (numbers or plain_number)(field_name, text)
    return None if value is None else v.positive(field_name, value)


def compute(backend: TicketBackend, inp: TicketInput) -> TicketPreview:
    """Everything the ticket displays for `inp`; `reasons` lists why it may not be sent yet."""
    out = TicketPreview()
    spec = backend.markets().get(inp.market)
    if spec is None:
        out.reasons.append(f"market: choose a market (unknown {inp.market!r})" if inp.market else "market: choose a market")
        return out
    out.spec = spec
    out.mark = backend.mark(inp.market)
    out.daily_vol = backend.daily_volatility(inp.market)
    out.allowed_leverage, out.cap = backend.allowed_leverage(inp.account, inp.market)
    side = Side.parse(inp.action)
    cross = wallet = False
    try:
        portfolio = backend.portfolio(inp.account)
        wallet = portfolio.margin_mode == SPOT_WALLET
        cross = mango_health.is_cross(portfolio)  # Mango: init health, and liquidation from the account
        out.free_collateral = mango_health.free_collateral(portfolio, backend.markets()) - backend.reserved_margin(inp.account)
        out.equity = margin.equity(portfolio)
    except (DomainError, LookupError):
        out.free_collateral = None

    price: float | None = out.mark
    if inp.order_type == OrderType.LIMIT.value:
        try:
            price = optional_number("price", inp.price_text, inp.numbers)
        except DomainError as exc:
            out.reasons.append(str(exc))
            price = None
        if price is None and not out.reasons:
            out.reasons.append("price: a limit order needs a price")
    elif price is None:
        out.reasons.append(f"price: waiting for the first {inp.market} price")
    out.price = price
    lev = inp.leverage if spec.is_perp else 1.0

    if price is not None and not cross:  # cross: the decision's account-wide price, once sized
        out.liquidation_price = margin.liquidation_price(side, price, lev, spec.maint_margin) if spec.is_perp else 0.0
        if spec.is_perp:
            out.distance_pct = margin.distance_to_liquidation_pct(side, price, out.liquidation_price)
            if out.daily_vol and out.daily_vol > 0 and out.distance_pct is not None and math.isfinite(out.distance_pct):
                out.distance_sigmas = out.distance_pct / 100.0 / out.daily_vol

    size: float | None = None
    try:
        size = optional_number("size", inp.size_text, inp.numbers)
        out.size = size
        if size is None:
            out.reasons.append("size: enter a size")
    except DomainError as exc:
        out.reasons.append(str(exc))
    conditions = _conditions(inp, side, price, out.reasons)

    if size is None or price is None or out.reasons:
        return out
    try:
        request = OrderRequest(
            account=inp.account, market=inp.market, side=inp.action, size=size,
            order_type=inp.order_type, price=price if inp.order_type == OrderType.LIMIT.value else None,
            leverage=lev,
        )
        request.check_market(backend.markets())
        out.decision = backend.preview(
            inp.action, size, inp.market, inp.account, leverage=lev, order_type=inp.order_type,
            price=request.price, conditions=conditions, reduce_only=inp.reduce_only,
        )
    except (DomainError, LookupError) as exc:
        out.reasons.append(str(exc))
        return out
    d = out.decision
    out.free_collateral = d.free_collateral  # net of the margin resting orders hold
    out.liquidation_price = d.liquidation_price if spec.is_perp else 0.0
    out.after = d.after
    out.warnings.extend(d.notes)
    if spec.is_perp and out.after is not None and out.after.position is not None and price is not None:
        out.distance_pct = margin.distance_to_liquidation_pct(out.after.position.side, price, d.liquidation_price)
        sigmas = out.distance_pct / 100.0 / out.daily_vol if out.daily_vol and out.daily_vol > 0 else None
        out.distance_sigmas = sigmas if sigmas is not None and math.isfinite(sigmas) else None
    _loss_at_stop(out, conditions)
    if not d.approved:
        out.reasons.extend(r.message for r in d.reasons)
        return out
    if wallet and side is Side.LONG and price is not None:
        out.spends = size * price
    out.order = TicketOrder(
        account=inp.account, market=inp.market, action=inp.action, size=size, order_type=inp.order_type,
        price=request.price, leverage=d.leverage, conditions=conditions, reduce_only=inp.reduce_only,
        time_in_force=inp.time_in_force if inp.order_type == OrderType.LIMIT.value else "gtc",
    )
    if conditions is not None and conditions.has_entry:
        out.warnings.append(_entry_note(inp, conditions, request.price))
    return out


def _entry_note(inp: TicketInput, conditions: TradeConditions, limit: float | None) -> str:
    """What an entry condition will do, named as a trader would: a stop or a touch entry."""
    if conditions.entry_above is not None:
        trigger, op, stop = conditions.entry_above, "≥", inp.action == "buy"
    else:
        trigger, op, stop = conditions.entry_below or 0.0, "≤", inp.action == "sell"
    kind = ("stop" if stop else "touch") + ("-limit" if limit is not None else "-market")
    then = f"a {inp.action} limit at {limit:,.10g}" if limit is not None else f"a {inp.action} at market"
    return f"{kind} entry, held here: when the mark is {op} {trigger:,.10g}, {then} is sent"


def _loss_at_stop(out: TicketPreview, conditions: TradeConditions | None) -> None:
    """The first stop the order attaches, and what it loses on the whole resulting position."""
    after = out.after.position if out.after is not None else None
    if conditions is None or after is None:
        return
    levels = stop_levels(after.side, after.entry_price, conditions.stop_loss, conditions.stop_loss_percent,
                         conditions.trailing_percent)
    if levels:
        out.stop = levels[0][1]
        out.loss_at_stop = loss_at_stop(after, out.stop)


def _conditions(inp: TicketInput, side: Side, price: float | None, reasons: list[str]) -> TradeConditions | None:
    """Parse the optional exit/entry fields; a level on the wrong side of the price is refused."""
    values: dict[str, float | None] = {}
    fields = (
        ("take_profit", inp.take_profit_text), ("stop_loss", inp.stop_loss_text),
        ("take_profit_percent", inp.take_profit_pct_text), ("stop_loss_percent", inp.stop_loss_pct_text),
        ("trailing_percent", inp.trailing_pct_text), ("entry_below", inp.entry_below_text),
        ("entry_above", inp.entry_above_text),
    )
    for name, text in fields:
        try:
            values[name] = optional_number(name, text, inp.numbers)
        except DomainError as exc:
            reasons.append(str(exc))
            values[name] = None
    # Exits are judged against the expected entry: the entry trigger if one is set, else the price.
    entry = next((values[k] for k in ("entry_below", "entry_above") if values[k] is not None), price)
    tp, sl = values["take_profit"], values["stop_loss"]
    if entry is not None:
        above, below = ("above", "below") if side is Side.LONG else ("below", "above")
        if tp is not None and (tp - entry) * side.sign <= 0:
            reasons.append(f"take_profit: a {side.value}'s take-profit must be {above} the entry {entry:.10g}")
        if sl is not None and (sl - entry) * side.sign >= 0:
            reasons.append(f"stop_loss: a {side.value}'s stop-loss must be {below} the entry {entry:.10g}")
    if all(value is None for value in values.values()):
        return None
    try:
        return TradeConditions(**values, alert_only=inp.alert_only)  # the service's own checks (percentages below 100 %, ...)
    except DomainError as exc:
        reasons.append(str(exc))
        return None


def net_free_collateral(backend: TicketBackend, account: str) -> float:
    """Free collateral less the margin the venue holds for resting orders (what a new order may use)."""
    return margin.free_collateral(backend.portfolio(account)) - backend.reserved_margin(account)


def safe_size(backend: TicketBackend, account: str, spec: MarketSpec, price: float, leverage: float) -> float:
    """domain.sizing's safe size for the account's free collateral (raises SizingError if zero)."""
    free = net_free_collateral(backend, account)
    return sizing.safe_position_size(free, price, leverage, spec.lot_size)


def max_size(
    backend: TicketBackend, inp: TicketInput, spec: MarketSpec, price: float, leverage: float
) -> float:
    """Largest lot multiple the risk policy approves: domain's margin bound, then stepped down
    (by bisection over whole lots, asking the same policy) if another limit such as account
    leverage bites first. 0 when nothing fits."""
    free = net_free_collateral(backend, inp.account)
    upper = sizing.max_position_size(free, price, leverage, spec.lot_size, spec.taker_fee)
    limit_price = price if inp.order_type == OrderType.LIMIT.value else None

    def approved(lots: int) -> bool:
        try:
            return backend.preview(
                inp.action, lots * spec.lot_size, inp.market, inp.account, leverage=leverage,
                order_type=inp.order_type, price=limit_price,
            ).approved
        except (DomainError, LookupError):
            return False

    hi = round(upper / spec.lot_size)
    if hi <= 0 or approved(hi):
        return sizing.round_down_to_lot(max(hi, 0) * spec.lot_size, spec.lot_size)
    lo = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if approved(mid):
            lo = mid
        else:
            hi = mid
    return sizing.round_down_to_lot(lo * spec.lot_size, spec.lot_size)
