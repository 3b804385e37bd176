"""Spot swap arithmetic: token amounts as integers in the mint's smallest units inside, human units at
the edges; slippage in basis points (Jupiter) or percent (GMGN); what a confirmed swap filled at.

Integers are exact and what the chain counts; floats appear only where a human or the journal reads
a number. Conversions go through Decimal, so 0.1 SOL is 100_000_000 lamports, never 99_999_999.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from grace_desktop.domain.enums import OrderSide
from grace_desktop.domain.errors import DomainError


def to_units(amount: float | str | Decimal, decimals: int) -> int:
    """`amount` in human units as the mint's smallest units, rounded down (never spend more than asked)."""
    if not 0 <= decimals <= 18:
        raise DomainError("decimals", f"must be within 0..18, got {decimals}")
    value = Decimal(str(amount))
    if not value.is_finite() or value < 0:
        raise DomainError("amount", f"must be a non-negative number, got {amount!r}")
    return int((value.scaleb(decimals)).to_integral_value(rounding=ROUND_DOWN))


def from_units(units: int, decimals: int) -> float:
    """Smallest units as human units (for the window and the journal)."""
    return float(Decimal(int(units)).scaleb(-decimals))


def bps_to_percent(bps: int) -> float:
    """GMGN takes slippage in percent (10 = 10 %); we keep basis points (50 = 0.5 %)."""
    if not 0 <= bps <= 10_000:
        raise DomainError("slippage_bps", f"must be within 0..10000, got {bps}")
    return bps / 100.0


def min_out(out_units: int, slippage_bps: int) -> int:
    """The least output a quote with `slippage_bps` may deliver (the router's otherAmountThreshold)."""
    return out_units * (10_000 - slippage_bps) // 10_000


@dataclass(frozen=True, slots=True)
class SwapLegs:
    """One swap as a spot market sees it: base bought or sold for quote."""

    base_units: int  # base token moved (bought when side is buy, sold when sell)
    quote_units: int  # quote token paid (buy) or received (sell)
    base_decimals: int
    quote_decimals: int

    @property
    def size(self) -> float:
        return from_units(self.base_units, self.base_decimals)

    @property
    def price(self) -> float:
        """Quote per base in human units."""
        if self.base_units <= 0:
            raise DomainError("base_units", "a swap that moved no base token has no price")
        return from_units(self.quote_units, self.quote_decimals) / self.size


def legs(side: OrderSide, in_units: int, out_units: int, base_decimals: int, quote_decimals: int) -> SwapLegs:
    """A buy spends quote (in) for base (out); a sell spends base (in) for quote (out)."""
    if side is OrderSide.BUY:
        return SwapLegs(out_units, in_units, base_decimals, quote_decimals)
    return SwapLegs(in_units, out_units, base_decimals, quote_decimals)


def network_fee(lamports: int, sol_price: float | None) -> float:
    """A transaction's network fee (lamports) in quote units at the SOL price (0 if no price is known)."""
    if lamports <= 0 or not sol_price:
        return 0.0
    return from_units(lamports, 9) * sol_price


@dataclass(frozen=True, slots=True)
class BalanceCheck:
    ok: bool
    detail: str


def check_amounts(
    *, spent: int, expected_spent: int, received: int, least_received: int, tolerance_in: int = 0,
) -> BalanceCheck:
    """The wallet's balance changes against the quote: exactly the input spent (within `tolerance_in`,
    e.g. network fees paid in the same token) and at least the quote's minimum received."""
    problems = []
    if abs(spent - expected_spent) > tolerance_in:
        problems.append(f"spent {spent} units, the quote said {expected_spent}")
    if received < least_received:
        problems.append(f"received {received} units, below the quote's minimum {least_received}")
    return BalanceCheck(not problems, "; ".join(problems))
