"""The risk policy: one object that says whether an order may go, and every reason why not."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from grace_desktop.domain import mango_health, margin
from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderSide, OrderType
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import MarketSpec, OrderRequest, Portfolio
from grace_desktop.domain.position_after import PositionAfter, position_after
from grace_desktop.domain.volatility import DEFAULT_TIERS, VolatilityCap, VolatilityTier, leverage_cap


@dataclass(frozen=True, slots=True)
class RiskLimits:
    max_leverage: float = 10.0
    max_account_leverage: float = 5.0
    # True: leverage above the allowed maximum is lowered to it (and the decision says so);
    # False: such an order is refused.
    clamp_leverage: bool = False
    volatility_tiers: tuple[VolatilityTier, ...] = DEFAULT_TIERS

    def __post_init__(self) -> None:
        v.leverage("max_leverage", self.max_leverage)
        v.leverage("max_account_leverage", self.max_account_leverage)


@dataclass(frozen=True, slots=True)
class RiskReason:
    code: str  # margin | account_leverage | leverage | volatility | price
    message: str


@dataclass(frozen=True, slots=True)
class RiskDecision:
    approved: bool
    leverage: float
    requested_leverage: float
    required_margin: float
    free_collateral: float
    free_collateral_after: float
    account_leverage_after: float
    fee: float
    liquidation_price: float
    volatility_cap: VolatilityCap | None = None
    reasons: tuple[RiskReason, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # The position the order leaves (its liquidation price is `liquidation_price`), and the
    # margin resting orders hold that `free_collateral` already excludes.
    after: PositionAfter | None = None
    reserved_margin: float = 0.0

    @property
    def clamped(self) -> bool:
        return self.leverage != self.requested_leverage

    def explain(self) -> str:
        if self.approved:
            return "; ".join(self.notes) or "approved"
        return "; ".join(r.message for r in self.reasons)


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    limits: RiskLimits = RiskLimits()

    def allowed_leverage(self, spec: MarketSpec, daily_vol: float | None = None) -> tuple[float, VolatilityCap | None]:
        """Highest leverage the slider may offer for `spec` now, and the volatility cap if it bites."""
        allowed = min(spec.max_leverage, self.limits.max_leverage)
        cap = leverage_cap(daily_vol, self.limits.volatility_tiers) if daily_vol is not None else None
        if cap is not None and cap.max_leverage < allowed:
            return max(1.0, cap.max_leverage), cap
        return allowed, None

    def evaluate(
        self, request: OrderRequest, spec: MarketSpec, portfolio: Portfolio, price: float, daily_vol: float | None = None,
        specs: Mapping[str, MarketSpec] | None = None, reserved: float = 0.0,
    ) -> RiskDecision:
        """`specs` (every market's spec) weighs the other positions of a cross-margin account.
        `reserved`: initial margin the venue holds for resting orders (domain.order_checks.reserved_margin),
        not free for this order."""
        # A market order fills wherever the book is: it is checked at `price` (the caller passes the
        # mark moved by the slippage bound, see market_fill_price), never at a price it names.
        limit = request.price if request.order_type is OrderType.LIMIT else None
        price = v.positive("price", limit if limit is not None else price)
        reasons: list[RiskReason] = []
        notes: list[str] = []
        allowed, cap = self.allowed_leverage(spec, daily_vol)
        lev = request.leverage
        # A reduce-only order lowers risk: it keeps the position's leverage even if limits were tightened since.
        if lev > allowed + 1e-12 and not request.reduce_only:
            why = cap.reason if cap is not None else f"maximum leverage is {allowed:g}x"
            if self.limits.clamp_leverage:
                notes.append(f"leverage clamped from {lev:g}x to {allowed:g}x ({why})")
                lev = allowed
            else:
                code = "volatility" if cap is not None else "leverage"
                reasons.append(RiskReason(code, f"leverage {lev:g}x refused: {why}"))

        fee_rate = spec.taker_fee
        fee = max(0.0, margin.fee(request.size, price, fee_rate))
        if mango_health.is_cross(portfolio):
            return _evaluate_cross(self.limits, request, spec, portfolio, price, lev, fee, specs or {}, cap,
                                   reasons, notes)
        reserved = max(0.0, v.finite("reserved", reserved))
        free = margin.free_collateral(portfolio) - reserved
        existing = portfolio.position(request.market)
        reducing = existing is not None and existing.side.sign != request.side.sign
        # Only the part that opens new exposure needs margin; reducing frees it.
        opening = request.size
        if reducing and existing is not None:
            opening = max(0.0, request.size - existing.size)
        if request.reduce_only:
            opening = 0.0
        needed = (opening * price / lev if opening > 0 else 0.0) + fee
        lev_after = margin.account_leverage_after(portfolio, request.market, request.side, request.size, price, fee)
        # The liquidation price of the position *after* the order: an add blends collateral, a reduce
        # keeps the remainder's, a close leaves none (0), a flip opens the rest fresh at `lev`.
        after: PositionAfter | None
        try:
            after = position_after(existing, spec, request.side, request.size, price, lev, account=request.account)
            liq = (after.liquidation_price or 0.0) if spec.is_perp else 0.0
        except (DomainError, OverflowError):
            # A size beyond any book (1e300 lots): no position to describe; the margin check refuses it.
            after = None
            liq = margin.liquidation_price(request.side.position_side, price, lev, spec.maint_margin) \
                if spec.is_perp else 0.0

        if opening > 0 and not spec.is_perp and request.side.sign < 0:
            # Selling beyond the holding would be a short, which a spot market cannot hold: say that,
            # not the margin a short would need.
            held = existing.size if reducing and existing is not None else 0.0
            reasons.append(RiskReason("size", f"{spec.name} is spot: cannot sell {request.size:g} {spec.base}, "
                                              f"only {held:g} held"))
        elif opening > 0:
            if needed > free + 1e-9:
                reasons.append(
                    RiskReason("margin", f"required margin {needed:,.2f} exceeds free collateral {free:,.2f}")
                )
            if lev_after > self.limits.max_account_leverage + 1e-9:
                shown = f"{lev_after:.2f}x" if math.isfinite(lev_after) else "unbounded (the fee and losses exceed equity)"
                reasons.append(
                    RiskReason(
                        "account_leverage",
                        f"account leverage after the trade {shown} exceeds the maximum "
                        f"{self.limits.max_account_leverage:g}x",
                    )
                )
        return RiskDecision(
            approved=not reasons,
            leverage=lev,
            requested_leverage=request.leverage,
            required_margin=needed,
            free_collateral=free,
            free_collateral_after=free - needed,
            account_leverage_after=lev_after,
            fee=fee,
            liquidation_price=liq,
            volatility_cap=cap,
            reasons=tuple(reasons),
            notes=tuple(notes),
            after=after,
            reserved_margin=reserved,
        )


def _evaluate_cross(
    limits: RiskLimits, request: OrderRequest, spec: MarketSpec, portfolio: Portfolio, price: float, lev: float,
    fee: float, specs: Mapping[str, MarketSpec], cap: VolatilityCap | None, reasons: list[RiskReason],
    notes: list[str],
) -> RiskDecision:
    """Mango: the ticket's leverage is the account leverage after the trade, and init health after
    the trade must stay >= 0 (what the program checks after a perp order); the liquidation price
    is where maint health reaches zero with everything else held."""
    all_specs = {**specs, spec.name: spec}
    free = mango_health.account_health(portfolio, all_specs).init
    after = mango_health.after_trade(portfolio, request.market, request.side, request.size, price, fee)
    free_after = mango_health.account_health(after, all_specs).init
    lev_after = mango_health.account_leverage(after)
    held = after.position(request.market)
    liq = mango_health.liquidation_price(after, all_specs, request.market) if held is not None and spec.is_perp else 0.0
    if held is not None and held.side is not request.side.position_side:
        liq = 0.0  # the order only reduces: the price shown would be the remaining position's, not this order's
    existing = portfolio.position(request.market)
    opening = request.size
    if existing is not None and existing.side.sign != request.side.sign:
        opening = max(0.0, request.size - existing.size)
    if request.reduce_only:
        opening = 0.0
    needed = max(0.0, free - free_after)
    if opening > 0:
        if free_after < -1e-9:
            reasons.append(RiskReason(
                "margin", f"initial health after the trade would be {free_after:,.2f} (below zero; "
                          f"free collateral now {free:,.2f})"))
        shown = f"{lev_after:.2f}x" if math.isfinite(lev_after) else "unbounded"
        if lev_after > lev + 1e-9:
            reasons.append(RiskReason(
                "leverage", f"account leverage after the trade {shown} exceeds the {lev:g}x set on the ticket"))
        if lev_after > limits.max_account_leverage + 1e-9:
            reasons.append(RiskReason(
                "account_leverage",
                f"account leverage after the trade {shown} exceeds the maximum {limits.max_account_leverage:g}x"))
    return RiskDecision(
        approved=not reasons, leverage=lev, requested_leverage=request.leverage, required_margin=needed,
        free_collateral=free, free_collateral_after=free_after, account_leverage_after=lev_after, fee=fee,
        liquidation_price=liq, volatility_cap=cap, reasons=tuple(reasons), notes=tuple(notes),
    )


# How far from the mark a market order may fill: closes are sent as limits capped here where a
# venue's market orders have no bound, and every market order is risk-checked at this price.
MARKET_PRICE_BOUND = 0.005


def market_fill_price(side: OrderSide, mark: float, bound: float = MARKET_PRICE_BOUND) -> float:
    """The worst price a market order may fill at: above the mark for a buy, below it for a sell."""
    return mark * (1 + bound) if OrderSide.parse(side) is OrderSide.BUY else mark * (1 - bound)
