"""Tokens the wallet already held, not bought through this venue: adopted as a position once seen.

The wallet is the truth of what is held, so a configured token's balance beyond what the journal's
fills account for becomes part of the position, booked as a buy at the mark when it is first seen
(its earlier cost is not known here). The buy is a fill like any other, so the journal, the
position's cost basis and a later sell's realized PnL agree. Native SOL keeps a reserve that is
never adopted, so never sold: every swap needs it for network fees and token-account rent.
A buy's dust (below one lot) is adopted once it adds up to a whole lot.
"""

from __future__ import annotations

from grace_desktop.domain import spot as money
from grace_desktop.venues.spot.records import LANDED, SwapRecord

SOL_RESERVE_LAMPORTS = 100_000_000  # 0.1 SOL
WALLET = "wallet"  # the `router` of an adoption record: nothing was swapped


def untracked_units(in_wallet: int, tracked: float, *, decimals: int, lot_units: int, native: bool) -> int:
    """Whole lots of the wallet's balance that no holding accounts for (smallest units)."""
    spare = in_wallet - (SOL_RESERVE_LAMPORTS if native else 0) - money.to_units(tracked, decimals)
    spare -= spare % lot_units
    return max(0, spare)


def adoption(client_id: str, account: str, market: str, size: float, mark: float, ts: float) -> SwapRecord:
    """The record of an adopted balance: landed, filled at the mark, no fee, nothing signed or sent."""
    record = SwapRecord(client_id, account, market, "buy", size, ts, router=WALLET, state=LANDED,
                        reason=f"already in the wallet: adopted at the mark {mark:,.6g} (its earlier cost is unknown)",
                        updated_at=ts)
    record.fill = {"size": size, "price": mark, "fee": 0.0, "ts": ts}
    return record
