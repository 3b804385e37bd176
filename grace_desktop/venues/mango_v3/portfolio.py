"""The service's balances and positions as the domain's Portfolio (one place to adapt for cross margin).

Mango margins the whole account: every position draws on the same USDC. The domain's Position
carries an isolated `collateral` and `leverage`; here the account's equity is shared out in
proportion to each position's entry notional, so each position's leverage is the account's
(Σ notional / balance) and, for a single position, its liquidation price is MANGO_V3_API.md §3.4's.
Account-wide health (domain/mango_health.py) replaces this where the app asks for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from grace_desktop.domain.enums import Side
from grace_desktop.domain.models import Portfolio, Position
from grace_desktop.venues.mango_v3.parse import Balance, ServicePosition

QUOTE = "USDC"
# Set on the Portfolio when the domain model has the field (the margin helper adds it).
MARGIN_MODE = "mango_cross"


def usdc_balance(balances: Iterable[Balance]) -> float:
    """The USDC the account holds (deposits + unsettled − borrows); perp PnL is not in it until settled."""
    return next((b.total for b in balances if b.coin.upper() == QUOTE), 0.0)


def positions_from(
    account: str, rows: Iterable[ServicePosition], balance: float, opened_at: Mapping[str, float] | None = None,
) -> tuple[Position, ...]:
    held = [r for r in rows if r.net_size != 0]
    entries = {r.market: _entry(r) for r in held}
    notional = sum(abs(r.net_size) * entries[r.market] for r in held)
    leverage = max(1.0, notional / balance) if balance > 0 else 1.0
    out = []
    for r in sorted(held, key=lambda r: r.market):
        size = abs(r.net_size)
        out.append(Position(
            account, r.market, Side.LONG if r.net_size > 0 else Side.SHORT, size, entries[r.market],
            leverage=leverage, collateral=size * entries[r.market] / leverage,
            opened_at=(opened_at or {}).get(r.market, 0.0),
        ))
    return tuple(out)


def portfolio_from(
    account: str, balances: Iterable[Balance], rows: Iterable[ServicePosition], marks: Mapping[str, float],
    opened_at: Mapping[str, float] | None = None,
) -> Portfolio:
    balance = usdc_balance(balances)
    positions = positions_from(account, rows, balance, opened_at)
    return Portfolio(account, balance, positions, dict(marks), margin_mode=MARGIN_MODE)


def _entry(row: ServicePosition) -> float:
    """The average open price; the break-even, then the oracle (cost / size), when the service has none."""
    if row.entry_price:
        return row.entry_price
    if row.break_even and row.break_even > 0:
        return row.break_even
    return row.cost / abs(row.net_size)
