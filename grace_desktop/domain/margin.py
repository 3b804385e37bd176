"""Margin, liquidation and PnL math. Every number a trader sees about risk comes from here.

Conventions: sizes are in base units, prices and money in quote units (USDC), margin
fractions are of notional (maint 0.025 means 40x maintenance leverage).
"""

from __future__ import annotations

import math

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderSide, Side
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import SPOT_WALLET, Portfolio, Position


def fee(size: float, price: float, rate: float) -> float:
    """Fee charged on a fill (negative for a maker rebate)."""
    return abs(size) * price * rate


def required_margin(size: float, price: float, leverage: float, fee_rate: float = 0.0) -> float:
    """Initial margin to open `size` at `price` and `leverage`, plus the opening fee."""
    size = v.positive("size", size)
    price = v.positive("price", price)
    leverage = v.leverage("leverage", leverage)
    return size * price / leverage + max(0.0, fee(size, price, v.finite("fee_rate", fee_rate)))


def liquidation_price(side: Side | str, entry_price: float, leverage: float, maint_margin: float) -> float:
    """Price at which an isolated position opened with margin entry/L hits maintenance margin.

    Long: P0·(1 − 1/L)/(1 − m); short: P0·(1 + 1/L)/(1 + m). m = 0 gives the naive P0·(1 ∓ 1/L).
    A 1x long is never liquidated by price alone and returns 0.
    """
    side = Side.parse(side)
    p0 = v.positive("entry_price", entry_price)
    lev = v.leverage("leverage", leverage)
    m = v.fraction("maint_margin", maint_margin)
    if side is Side.LONG:
        return max(0.0, p0 * (1.0 - 1.0 / lev) / (1.0 - m))
    return p0 * (1.0 + 1.0 / lev) / (1.0 + m)


def liquidation_price_from_collateral(
    side: Side | str, entry_price: float, size: float, collateral: float, maint_margin: float
) -> float:
    """Liquidation price for a position of `size` backed by an explicit `collateral`.

    Solves collateral + side·size·(P − P0) = m·size·P for P. Returns 0 for a long that
    collateral covers all the way down, and inf for a short that can never be liquidated
    (m = 0 never happens for shorts with finite collateral, so inf only arises for m < 0).
    """
    side = Side.parse(side)
    p0 = v.positive("entry_price", entry_price)
    s = v.positive("size", size)
    c = v.non_negative("collateral", collateral)
    m = v.fraction("maint_margin", maint_margin)
    if side is Side.LONG:
        return max(0.0, (p0 - c / s) / (1.0 - m))
    return (p0 + c / s) / (1.0 + m)


def unrealized_pnl(side: Side | str, size: float, entry_price: float, mark: float) -> float:
    return Side.parse(side).sign * size * (mark - entry_price)


def pnl_percent(position: Position, mark: float) -> float:
    """PnL as a percent of the margin posted (what a leveraged trader calls return)."""
    margin = position.collateral or position.size * position.entry_price / position.leverage
    return 100.0 * position.unrealized_pnl(mark) / margin if margin > 0 else 0.0


def maintenance_margin(size: float, mark: float, maint_margin: float) -> float:
    return abs(size) * mark * maint_margin


def position_equity(position: Position, mark: float) -> float:
    """Isolated equity: posted collateral plus unrealized PnL."""
    return position.collateral + position.unrealized_pnl(mark)


def position_liquidation_price(position: Position, maint_margin: float) -> float:
    """Where this position is liquidated: from its collateral when posted, else from its leverage."""
    if position.collateral > 0:
        return liquidation_price_from_collateral(
            position.side, position.entry_price, position.size, position.collateral, maint_margin
        )
    return liquidation_price(position.side, position.entry_price, position.leverage, maint_margin)


def position_margin(position: Position) -> float:
    """Margin the position holds: its isolated collateral, or its initial margin at entry when the venue
    reports none (cross margin)."""
    if position.collateral > 0:
        return position.collateral
    return required_margin(position.size, position.entry_price, position.leverage)


def is_liquidatable(position: Position, mark: float, maint_margin: float) -> bool:
    """True once equity has fallen to the maintenance margin (the liquidation price is crossed)."""
    liq = position_liquidation_price(position, maint_margin)
    return mark <= liq if position.side is Side.LONG else mark >= liq


def held_cost(portfolio: Portfolio) -> float:
    """What a spot wallet paid for its holdings: cash that left the balance and sits in the tokens.

    A margin account's balance still holds the collateral it posted, so it has none."""
    if portfolio.margin_mode != SPOT_WALLET:
        return 0.0
    return sum(p.size * p.entry_price for p in portfolio.positions)


def equity(portfolio: Portfolio) -> float:
    """Balance plus unrealized PnL; a spot wallet's holdings at their cost added (cash + holdings at mark)."""
    return portfolio.balance + held_cost(portfolio) + sum(
        p.unrealized_pnl(portfolio.mark(p.market, p.entry_price)) for p in portfolio.positions)


def used_initial_margin(portfolio: Portfolio) -> float:
    return sum(p.notional(portfolio.mark(p.market, p.entry_price)) / p.leverage for p in portfolio.positions)


def free_collateral(portfolio: Portfolio) -> float:
    """Equity not tied up as initial margin: what a new order may use (Mango's init health)."""
    return equity(portfolio) - used_initial_margin(portfolio)


def total_notional(portfolio: Portfolio) -> float:
    return sum(p.notional(portfolio.mark(p.market, p.entry_price)) for p in portfolio.positions)


def account_leverage(portfolio: Portfolio) -> float:
    """Total notional over equity; inf when equity is gone but positions remain."""
    notional = total_notional(portfolio)
    eq = equity(portfolio)
    if notional == 0:
        return 0.0
    return notional / eq if eq > 0 else math.inf


def account_leverage_after(
    portfolio: Portfolio, market: str, side: OrderSide | str, size: float, price: float, fee_paid: float = 0.0
) -> float:
    """Account leverage as it would be after trading `size` of `market` at `price`.

    A trade against an existing position nets with it (a reduce lowers notional); the fee
    leaves equity. Other positions are valued at their marks.
    """
    order_side = OrderSide.parse(side)
    size = v.positive("size", size)
    price = v.positive("price", price)
    notional = 0.0
    existing = 0.0
    for position in portfolio.positions:
        if position.market == market:
            existing += position.side.sign * position.size
        else:
            notional += position.notional(portfolio.mark(position.market, position.entry_price))
    net_after = existing + order_side.sign * size
    notional += abs(net_after) * price
    # Equity after: revalue this market's position at the trade price, then pay the fee.
    eq = portfolio.balance + held_cost(portfolio) - fee_paid
    for position in portfolio.positions:
        mark = price if position.market == market else portfolio.mark(position.market, position.entry_price)
        eq += position.unrealized_pnl(mark)
    if notional == 0:
        return 0.0
    return notional / eq if eq > 0 else math.inf


def distance_to_liquidation_pct(side: Side | str, mark: float, liq_price: float) -> float:
    """How far the mark may move against the position before liquidation, in % of the mark."""
    side = Side.parse(side)
    mark = v.positive("mark", mark)
    if liq_price <= 0 and side is Side.LONG:
        return 100.0
    if math.isinf(liq_price):
        return math.inf
    move = (mark - liq_price) if side is Side.LONG else (liq_price - mark)
    return 100.0 * move / mark


def leverage_for_margin(size: float, price: float, collateral: float) -> float:
    if collateral <= 0:
        raise DomainError("collateral", f"must be > 0, got {collateral:g}")
    return size * price / collateral
