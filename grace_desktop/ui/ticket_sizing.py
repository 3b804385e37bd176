"""Risk-based size for the ticket: the size whose loss at the stop is a chosen % of equity.

Rounded down to the lot, then capped by the safe size and by what the margin allows (the Max
button's answer); the explanation names the cap that bit. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.domain import margin, sizing
from grace_desktop.domain.enums import OrderSide, OrderType, Side
from grace_desktop.domain.errors import DomainError, SizingError
from grace_desktop.domain.risk import market_fill_price
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui import ticket_preview as tp


@dataclass(frozen=True, slots=True)
class RiskSize:
    size: float
    uncapped: float
    cap: str  # "" when the risk size itself fits
    explanation: str
    lot_size: float


def stop_price(inp: tp.TicketInput, side: Side, entry: float) -> float:
    """The stop the order attaches, as a price: the stop-loss price, else the stop-loss %."""
    stop = tp.optional_number("stop_loss", inp.stop_loss_text, inp.numbers)
    if stop is None:
        pct = tp.optional_number("stop_loss_percent", inp.stop_loss_pct_text, inp.numbers)
        if pct is None:
            raise DomainError("stop_loss", "risk sizing needs a stop-loss: set one under Exits")
        stop = entry * (1 - side.sign * pct / 100.0)
    if (stop - entry) * side.sign >= 0:
        below = "below" if side is Side.LONG else "above"
        raise DomainError("stop_loss", f"a {side.value}'s stop must be {below} the entry {entry:,.10g} to size from it")
    return stop


def risk_size(backend: tp.TicketBackend, inp: tp.TicketInput, preview: tp.TicketPreview, risk_text: str) -> RiskSize:
    """Raises DomainError (naming the field) when the inputs cannot give a size."""
    spec, price = preview.spec, preview.price
    if spec is None or price is None:
        raise DomainError("size", "needs a market and a price first")
    pct = tp.optional_number("risk_percent", risk_text, inp.numbers)
    if pct is None:
        raise DomainError("risk_percent", "enter the % of equity to risk at the stop")
    side = Side.parse(inp.action)
    if inp.order_type == OrderType.MARKET.value:
        price = market_fill_price(OrderSide.parse(inp.action), price)  # the worst fill, as the preview judges it
    entry = next((x for x in (tp.optional_number("entry_below", inp.entry_below_text, inp.numbers),
                              tp.optional_number("entry_above", inp.entry_above_text, inp.numbers))
                  if x is not None), price)
    stop = stop_price(inp, side, entry)
    portfolio = backend.portfolio(inp.account)
    equity = margin.equity(portfolio)
    raw = sizing.risk_position_size(equity, pct, entry, stop, spec.lot_size)
    lev = inp.leverage if spec.is_perp else 1.0
    try:
        safe = tp.safe_size(backend, inp.account, spec, entry, lev)
    except SizingError:
        safe = 0.0
    caps = {"the safe size": safe, "the margin (Max)": tp.max_size(backend, inp, spec, entry, lev)}
    size, cap = sizing.capped_risk_size(raw, caps, spec.lot_size)
    lot = spec.lot_size
    text = (f"risk {pct:g} % of equity {fmt.money(equity)} = {fmt.money(equity * pct / 100)} over "
            f"{fmt.price(abs(entry - stop), spec.tick_size)} to the stop at {fmt.price(stop, spec.tick_size)}: "
            f"{fmt.size(raw, lot)}")
    if cap:
        text += f", capped by {cap} to {fmt.size(size, lot)}"
    return RiskSize(size, raw, cap, text, lot)
