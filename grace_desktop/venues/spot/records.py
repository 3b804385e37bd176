"""The spot venue's own small record: each order's quote, signed bytes and signature, its fill, and
the cost basis of what was bought, kept in `spot_swaps.json` in the data dir (0600, replaced atomically).

The signed transaction is written before it is sent, so after a crash the signature is still
confirmed (or its blockhash seen to expire) instead of the swap being forgotten or sent again.
Signed bytes carry no secret (anyone who sees the transaction on chain sees them).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

# Record states (the venue maps them to OrderStatus).
SIGNED = "signed"  # quoted and signed, not handed to anyone yet
SENDING = "sending"  # handed over; no answer yet: maybe sent
SUBMITTED = "submitted"  # accepted by the router or the node: waiting to land
LANDED = "landed"  # confirmed and succeeded (fill recorded)
FAILED_ON_CHAIN = "failed_on_chain"  # landed, the program failed (fees paid, no swap)
NOT_SENT = "not_sent"  # refused before it could be sent (preflight, router, 429): safe to re-quote
EXPIRED = "expired"  # its blockhash expired without it landing
FINAL = frozenset({LANDED, FAILED_ON_CHAIN, NOT_SENT, EXPIRED})


@dataclass
class SwapRecord:
    client_id: str
    account: str
    market: str
    side: str
    size: float
    created_at: float
    router: str = ""
    state: str = SIGNED
    reason: str = ""
    signature: str = ""
    request_id: str = ""
    input_mint: str = ""
    output_mint: str = ""
    in_units: int = 0
    out_units: int = 0
    min_out_units: int = 0
    last_valid_block_height: int = 0
    network_fee_lamports: int = 0
    via_rpc: bool = False
    signed_tx: str = ""  # base64 signed bytes: may be re-broadcast as they are, never re-signed
    rejected_as: str = "rejected"  # "failed" when the request provably never reached anyone
    before: dict[str, int] = field(default_factory=dict)  # balances by mint before sending
    fill: dict[str, Any] | None = None
    updated_at: float = 0.0

    @property
    def final(self) -> bool:
        return self.state in FINAL


@dataclass
class Holding:
    """What this venue bought of one market for one account: size, average cost, realized PnL."""

    account: str
    market: str
    size: float
    entry_price: float
    realized_pnl: float = 0.0
    opened_at: float = 0.0


class RecordFile:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.swaps: dict[str, SwapRecord] = {}
        self.holdings: dict[tuple[str, str], Holding] = {}
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            known = {f.name for f in fields(SwapRecord)}
            for raw in data.get("swaps", []):
                record = SwapRecord(**{k: v for k, v in raw.items() if k in known})
                self.swaps[record.client_id] = record
            for raw in data.get("holdings", []):
                holding = Holding(**raw)
                self.holdings[(holding.account, holding.market)] = holding

    def save(self) -> None:
        if self.path is None:
            return
        data = {"version": 1, "swaps": [asdict(r) for r in self.swaps.values()],
                "holdings": [asdict(h) for h in self.holdings.values()]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".spot_swaps.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
