"""What a landed swap books: the fill (size and price from the wallet's balance changes, checked
against the quote) and the holding it changes (average cost, realized PnL) — the same
`domain.positions.apply_fill` the journal replays, so venue and journal agree."""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.domain import spot as money
from grace_desktop.domain.enums import OrderSide
from grace_desktop.domain.models import Fill, MarketSpec, Position
from grace_desktop.domain.positions import apply_fill
from grace_desktop.venues.spot.records import Holding, SwapRecord
from grace_desktop.venues.spot.tokens import SOL_MINT


@dataclass(frozen=True, slots=True)
class Booked:
    fill: Fill
    mismatch: str  # empty when the balances agree with the quote


def book_swap(record: SwapRecord, after: dict[str, int], *, base_decimals: int, quote_decimals: int,
              lot_units: int, sol_price: float | None, ts: float) -> Booked:
    """The fill of a landed swap from the balances before/after (network fee in lamports allowed for).

    A buy's base amount is booked rounded down to whole lots (`lot_units` smallest units), so the
    position can be sold in lots; the dust stays in the wallet and the booked price is what the
    booked size cost."""
    fee_lamports = record.network_fee_lamports
    spent = record.before.get(record.input_mint, 0) - after.get(record.input_mint, 0)
    received = after.get(record.output_mint, 0) - record.before.get(record.output_mint, 0)
    if record.input_mint == SOL_MINT:
        spent -= fee_lamports  # the fee left the same native balance
    if record.output_mint == SOL_MINT:
        received += fee_lamports
    check = money.check_amounts(spent=spent, expected_spent=record.in_units, received=received,
                                least_received=record.min_out_units,
                                tolerance_in=fee_lamports if SOL_MINT in (record.input_mint, record.output_mint) else 0)
    out_units = received if check.ok else record.out_units  # the quote's word when the wallet disagrees
    side = OrderSide.parse(record.side)
    if side is OrderSide.BUY:
        out_units -= out_units % lot_units
    swap = money.legs(side, record.in_units, out_units, base_decimals, quote_decimals)
    fill = Fill(record.client_id, record.market, side, swap.size, swap.price,
                round(money.network_fee(fee_lamports, sol_price), 12), ts, fill_id=record.signature)
    return Booked(fill, check.detail)


def apply_to_holding(held: Holding | None, fill: Fill, spec: MarketSpec, account: str) -> Holding | None:
    position = None if held is None else Position(account, held.market, "long", held.size, held.entry_price,
                                                  realized_pnl=held.realized_pnl, opened_at=held.opened_at)
    outcome = apply_fill(position, spec=spec, account=account, side=fill.side, size=fill.size, price=fill.price,
                         fee=fill.fee, leverage=1.0, ts=fill.ts, entry_fees=0.0, client_id=fill.client_id,
                         reason="market")
    realized = (held.realized_pnl if held else 0.0) + (outcome.closed.realized_pnl if outcome.closed else 0.0)
    after = outcome.position
    if after is None:
        return None if held is None else Holding(account, fill.market, 0.0, held.entry_price, realized, 0.0)
    if after.side.value != "long":  # a spot wallet cannot be short: sold more than bought here
        return Holding(account, fill.market, 0.0, fill.price, realized, 0.0)
    return Holding(account, fill.market, after.size, after.entry_price, realized, after.opened_at)
