"""Mango V3's account-wide (cross-margin) health, free collateral, leverage and liquidation price.

Mango values the whole account at once (program `HealthCache::get_health`):

    health_T = quote + Σ_perp ( base·P·w_asset^T  if base ≥ 0  else base·P·w_liab^T ) + quote_perp

with weights from each market's leverage: w_asset = 1 − 1/L, w_liab = 1 + 1/L (init weights from
the init leverage, maint weights from the maint leverage). A perp's quote position holds its
unsettled PnL and enters with weight 1, so `base·P + quote_perp` is the position's unrealized PnL
at P. Init health gates new orders (it must stay ≥ 0 after the trade); maint health < 0 means
the account can be liquidated; free collateral is init health.

Here a Portfolio carries that account: `balance` is the net USDC deposit (Mango's `quote`), each
Position is a perp leg with quote position −sign·size·entry, valued at the portfolio's marks.
A market's weights come from its MarketSpec: init_margin = 1/L_init, maint_margin = 1/L_maint.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

from grace_desktop.domain import margin
from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderSide, Side
from grace_desktop.domain.models import MarketSpec, Portfolio, Position

MANGO_CROSS = "mango_cross"


class HealthType(str, Enum):
    INIT = "init"
    MAINT = "maint"
    EQUITY = "equity"  # all weights 1: the account's value


@dataclass(frozen=True, slots=True)
class PerpLeg:
    """One perp position as Mango weighs it: signed base size, quote position, mark, margin fractions."""

    market: str
    base: float  # signed, base units (+ long, − short)
    quote: float  # USDC; −base·entry plus unsettled PnL, funding and fees already booked
    price: float
    init_margin: float  # 1 / init leverage
    maint_margin: float  # 1 / maint leverage

    def fraction(self, kind: HealthType) -> float:
        if kind is HealthType.INIT:
            return self.init_margin
        if kind is HealthType.MAINT:
            return self.maint_margin
        return 0.0

    def health(self, kind: HealthType) -> float:
        m = self.fraction(kind)
        weight = (1.0 - m) if self.base >= 0 else (1.0 + m)  # asset weight for a long, liability for a short
        return self.base * self.price * weight + self.quote


def weights(leverage: float) -> tuple[float, float]:
    """(asset weight, liability weight) for a market leverage: (1 − 1/L, 1 + 1/L)."""
    lev = v.leverage("leverage", leverage)
    return 1.0 - 1.0 / lev, 1.0 + 1.0 / lev


@dataclass(frozen=True, slots=True)
class AccountHealth:
    init: float
    maint: float
    equity: float

    @property
    def liquidatable(self) -> bool:
        return self.maint < 0

    @property
    def free_collateral(self) -> float:
        """Mango's "collateral available": init health (negative once new orders are gated)."""
        return self.init


# An unknown market (no spec) is weighed as if it had no leverage at all: its long counts for
# nothing and its short twice, so a missing spec can only make the account look poorer.
_UNKNOWN_MARGIN = 1.0


def _fractions(market: str, specs: Mapping[str, MarketSpec]) -> tuple[float, float]:
    spec = specs.get(market)
    if spec is None or not spec.is_perp:
        return _UNKNOWN_MARGIN, _UNKNOWN_MARGIN
    return spec.init_margin, spec.maint_margin


def leg(position: Position, price: float, specs: Mapping[str, MarketSpec]) -> PerpLeg:
    base = position.side.sign * position.size
    init_m, maint_m = _fractions(position.market, specs)
    return PerpLeg(position.market, base, -base * position.entry_price, price, init_m, maint_m)


def legs(portfolio: Portfolio, specs: Mapping[str, MarketSpec]) -> list[PerpLeg]:
    return [leg(p, portfolio.mark(p.market, p.entry_price), specs) for p in portfolio.positions]


def health(quote: float, perp_legs: list[PerpLeg], kind: HealthType) -> float:
    return v.finite("quote", quote) + sum(p.health(kind) for p in perp_legs)


def account_health(portfolio: Portfolio, specs: Mapping[str, MarketSpec]) -> AccountHealth:
    perp_legs = legs(portfolio, specs)
    return AccountHealth(
        init=health(portfolio.balance, perp_legs, HealthType.INIT),
        maint=health(portfolio.balance, perp_legs, HealthType.MAINT),
        equity=health(portfolio.balance, perp_legs, HealthType.EQUITY),
    )


def account_leverage(portfolio: Portfolio) -> float:
    """Mango's UI leverage, unweighted: liabs / (assets − liabs).

    Assets: USDC deposits, long perp notional at the mark, positive perp quote; liabs: USDC
    borrows, short perp notional, negative perp quote. 0 with no liabilities; inf once the
    account's value is gone.
    """
    assets = max(portfolio.balance, 0.0)
    liabs = max(-portfolio.balance, 0.0)
    for p in portfolio.positions:
        notional = p.size * portfolio.mark(p.market, p.entry_price)
        quote = -p.side.sign * p.size * p.entry_price
        if p.side is Side.LONG:
            assets += notional
        else:
            liabs += notional
        if quote >= 0:
            assets += quote
        else:
            liabs += -quote
    if liabs == 0:
        return 0.0
    value = assets - liabs
    return liabs / value if value > 0 else math.inf


def after_trade(
    portfolio: Portfolio, market: str, side: OrderSide | str, size: float, price: float, fee_paid: float = 0.0,
) -> Portfolio:
    """The account as it would be right after trading `size` of `market` at `price`.

    The position nets with any existing one (the closed part's PnL and the fee settle into the
    USDC balance); the market is marked at the trade price, other markets keep their marks.
    """
    order_side = OrderSide.parse(side)
    size = v.positive("size", size)
    price = v.positive("price", price)
    balance = portfolio.balance - v.finite("fee_paid", fee_paid)
    existing = portfolio.position(market)
    others = tuple(p for p in portfolio.positions if p.market != market)
    signed_before = 0.0 if existing is None else existing.side.sign * existing.size
    signed_after = signed_before + order_side.sign * size
    new: Position | None = None
    if existing is None or existing.side.sign == order_side.sign:
        # Opening or adding: the entry becomes the size-weighted average.
        entry = price if existing is None else (existing.size * existing.entry_price + size * price) / abs(signed_after)
        template = existing or Position(portfolio.account, market, order_side.position_side, size, price)
        new = replace(template, size=abs(signed_after), entry_price=entry)
    else:
        closed = min(existing.size, size)
        balance += existing.side.sign * closed * (price - existing.entry_price)
        if abs(signed_after) > 1e-12:
            if math.copysign(1.0, signed_after) == existing.side.sign:
                new = replace(existing, size=abs(signed_after))
            else:  # flipped: the remainder opens at the trade price
                new = replace(existing, side=order_side.position_side, size=abs(signed_after), entry_price=price)
    marks = dict(portfolio.marks)
    marks[market] = price
    positions = others + ((new,) if new is not None else ())
    return replace(portfolio, balance=balance, positions=positions, marks=marks)


def leverage_after(
    portfolio: Portfolio, market: str, side: OrderSide | str, size: float, price: float, fee_paid: float = 0.0,
) -> float:
    """Account leverage (Mango's, unweighted) as it would be after the trade."""
    return account_leverage(after_trade(portfolio, market, side, size, price, fee_paid))


def liquidation_price(portfolio: Portfolio, specs: Mapping[str, MarketSpec], market: str) -> float:
    """Price of `market` at which maint health reaches zero, every other price and balance held.

    H_maint(P) = H_other + quote_i + base_i·P·w  ⇒  P = −(H_other + quote_i) / (base_i·w)
    (mango-client `getLiquidationPrice`). A long the account covers all the way down returns 0;
    with no position in `market` there is nothing to liquidate and it returns nan.
    """
    perp_legs = legs(portfolio, specs)
    target = next((p for p in perp_legs if p.market == market), None)
    if target is None or target.base == 0:
        return math.nan
    others = health(portfolio.balance, [p for p in perp_legs if p is not target], HealthType.MAINT)
    m = target.maint_margin
    weight = (1.0 - m) if target.base > 0 else (1.0 + m)
    price = -(others + target.quote) / (target.base * weight)
    return max(0.0, price)


def margin_available(init_health: float, init_margin: float) -> float:
    """The service's `marginAvailable`: init_health / (1 − init_asset_weight), 0 if init health ≤ 0.

    With w_asset = 1 − init_margin this is init_health / init_margin: the extra notional that
    still fits in the market at init weights.
    """
    init_margin = v.fraction("init_margin", init_margin, allow_zero=False)
    return init_health / init_margin if init_health > 0 else 0.0


def margin_available_agrees(
    portfolio: Portfolio, specs: Mapping[str, MarketSpec], market: str, reported: float, rel_tol: float = 0.02,
) -> bool:
    """Cross-check our init health with the service's marginAvailable for `market` (within rel_tol,
    or 1 USDC for tiny accounts): a mismatch means our view of the account misses something."""
    return not margin_available_mismatches(portfolio, specs, {market: reported}, rel_tol)


@dataclass(frozen=True, slots=True)
class MarginMismatch:
    market: str
    ours: float  # margin available from our account health
    reported: float  # the service's marginAvailable

    def describe(self) -> str:
        return f"{self.market}: ours {self.ours:,.2f} USDC, the service's {self.reported:,.2f} USDC"


def margin_available_mismatches(
    portfolio: Portfolio, specs: Mapping[str, MarketSpec], reported: Mapping[str, float], rel_tol: float = 0.02,
) -> list[MarginMismatch]:
    """The markets of `reported` (the service's marketMarginAvailable) where ours differs by more than
    rel_tol (or 1 USDC, for tiny accounts); markets we hold no perp spec for are not compared."""
    rel_tol = v.non_negative("rel_tol", rel_tol)
    init = account_health(portfolio, specs).init
    out = []
    for market in sorted(reported):
        init_m, _ = _fractions(market, specs)
        if init_m >= 1.0:
            continue  # no leverage known for it (a spot market, or unknown): nothing to compare
        ours = margin_available(init, init_m)
        theirs = v.finite("reported", reported[market])
        if abs(ours - theirs) > max(1.0, rel_tol * max(abs(ours), abs(theirs))):
            out.append(MarginMismatch(market, ours, theirs))
    return out


# --- one entry point per figure, for either margin mode -----------------------------------------

def is_cross(portfolio: Portfolio) -> bool:
    return portfolio.margin_mode == MANGO_CROSS


def free_collateral(portfolio: Portfolio, specs: Mapping[str, MarketSpec]) -> float:
    """Isolated: equity less initial margin in use; Mango: init health."""
    if is_cross(portfolio):
        return account_health(portfolio, specs).init
    return margin.free_collateral(portfolio)


def position_liquidation_price(
    portfolio: Portfolio, position: Position, specs: Mapping[str, MarketSpec],
) -> float:
    """Isolated: from the position's own collateral/leverage; Mango: from account maint health."""
    if is_cross(portfolio):
        return liquidation_price(portfolio, specs, position.market)
    spec = specs.get(position.market)
    return margin.position_liquidation_price(position, spec.maint_margin if spec is not None else 0.0)
