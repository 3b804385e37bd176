"""The Mango account behind the loopback mango-v3-service: perp markets, a synthetic book, matching, fills.

Integer lots throughout, as on chain. The book around each market's oracle price (set by the test)
is external liquidity: `depth_lots` per tick level, 20 levels a side, so an order larger than one
level fills against several makers and produces one fill event per maker, as Mango does. Our own
limit orders rest and fill as makers when the test moves the price through them. Conversions from
what the HTTP body carries copy the service's truncation (`new BN(x * 10**dec)`), so a float that
is a hair below a lot loses the lot here as it would there. Realized PnL and fees are settled into
the USDC deposit at each fill (the stand-in's simplification of Mango's settle step).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OURS = "MangoAccountOurs1111111111111111111111111111"
MAKER = "MangoAccountMaker111111111111111111111111111"
QUOTE_DEC = 6


class Refused(Exception):
    """An order the service refuses: `status` 400 (validation) or 500 (the transaction failed)."""

    def __init__(self, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.status = status


@dataclass
class Perp:
    name: str
    base: str
    base_dec: int
    base_lot: int  # native base units per lot
    quote_lot: int  # native quote units per price lot
    init_lev: float
    maint_lev: float
    pk: str
    price: float = 0.0  # oracle
    depth_lots: int = 40
    taker_fee: float = 0.0004
    maker_fee: float = -0.0003

    @property
    def tick(self) -> float:
        return self.quote_lot * 10**self.base_dec / (self.base_lot * 10**QUOTE_DEC)

    @property
    def lot(self) -> float:
        return self.base_lot / 10**self.base_dec

    def px(self, lots: int) -> float:
        return round(lots * self.tick, 10)

    def qty(self, lots: int) -> float:
        return round(lots * self.lot, 12)

    def price_lots_of(self, price: float) -> int:  # uiToNativePriceQuantity: BN truncation, then lot division
        return math.floor(price * 10**QUOTE_DEC) * self.base_lot // (self.quote_lot * 10**self.base_dec)

    def size_lots_of(self, size: float) -> int:
        return math.floor(size * 10**self.base_dec) // self.base_lot

    @property
    def oracle_lots(self) -> int:
        return round(self.price / self.tick)


MARKETS = (
    Perp("SOL-PERP", "SOL", 9, 10_000_000, 100, 20, 40, "2TgaaVoHgnSeEtXvWTx13zQeTf4hYWAMEiMQdcG6EwHi", 100.0),
    Perp("BTC-PERP", "BTC", 6, 100, 10, 20, 40, "DtEcjPLyD4YtTBB4q8xwFZ9q49W89xZCZtJyrGebi5t8", 60_000.0),
    Perp("ETH-PERP", "ETH", 6, 1_000, 100, 20, 40, "DVXWg6mfwFvHQbGyaHke4h3LE9pSkgbooDSDgA4JBC8d", 3_000.0),
    Perp("MNGO-PERP", "MNGO", 6, 1_000_000, 100, 4, 8, "4nfmQP3KmUqEJ6qJLsS3offKgE96YUB4Rp7UQvm2Fbi9", 0.02),
)


@dataclass
class Resting:
    order_id: str
    client_id: int
    market: str
    side: str
    price_lots: int
    size_lots: int
    created: float


@dataclass
class Holding:
    base_lots: int = 0
    entry: float = 0.0  # average open price


# MANGO_V3_API.md §2.5: SOL spot init leverage 5, so a deposit counts 0.8 of its value in init health.
SPOT_INIT_ASSET_WEIGHT = 0.8


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class MangoState:
    usdc: float = 10_000.0
    sol_spot: float = 0.0  # a SOL deposit (coin "SOL-SPOT"): collateral at spot weights, valued at SOL's oracle
    markets: dict[str, Perp] = field(default_factory=lambda: {m.name: Perp(**vars(m)) for m in MARKETS})
    holdings: dict[str, Holding] = field(default_factory=dict)
    resting: list[Resting] = field(default_factory=list)
    fills: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    trades: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    history: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # (ts, price) for candles
    lock: threading.RLock = field(default_factory=threading.RLock)
    _seq: Any = field(default_factory=lambda: itertools.count(1))

    # ----- prices ---------------------------------------------------------------------------
    def set_price(self, market: str, price: float) -> None:
        with self.lock:
            perp = self.markets[market]
            perp.price = price
            self.history.setdefault(market, []).append((time.time(), price))
            self._cross_resting(perp)

    def quote(self, perp: Perp) -> tuple[float, float]:
        return perp.px(perp.oracle_lots - 1), perp.px(perp.oracle_lots + 1)

    # ----- health -----------------------------------------------------------------------------
    def init_health(self, extra: tuple[str, int, float] | None = None) -> float:
        """USDC + Σ (unrealized − |notional| / init leverage) at oracle, resting orders' worst case included."""
        health = self.usdc + self.sol_spot * self.markets["SOL-PERP"].price * SPOT_INIT_ASSET_WEIGHT
        for name, perp in self.markets.items():
            held = self.holdings.get(name, Holding())
            base = held.base_lots
            quote_value = -base * perp.lot * held.entry
            if extra is not None and extra[0] == name:
                base += extra[1]
                quote_value -= extra[1] * perp.lot * extra[2]
            reserved = sum(r.size_lots for r in self.resting if r.market == name)
            value = base * perp.lot * perp.price
            health += value + quote_value - (abs(base) + reserved) * perp.lot * perp.price / perp.init_lev
        return health

    # ----- orders -----------------------------------------------------------------------------
    def place(self, body: dict[str, Any]) -> None:
        """Execute a validated place-order body (what the service hands to the chain)."""
        with self.lock:
            perp = self.markets[body["market"]]
            side = body["side"]
            size_lots = perp.size_lots_of(float(body["size"]))
            kind = "market" if body["type"] == "market" else (
                "ioc" if body["ioc"] else "postOnly" if body["postOnly"] else
                "postOnlySlide" if body["postOnlySlide"] else "limit")
            sign = 1 if side == "buy" else -1
            if kind == "market":
                limit = math.inf if side == "buy" else 1  # the service sends price 1; no slippage bound
            else:
                limit = perp.price_lots_of(float(body["price"]))
            if size_lots <= 0 or limit <= 0:
                return  # a zero order: the transaction succeeds and does nothing, as on chain
            held = self.holdings.get(perp.name, Holding()).base_lots
            worst = perp.price * (1 + 0.05 * sign)
            if sign * held >= 0 and self.init_health((perp.name, sign * size_lots, worst)) < 0:
                raise Refused("Transaction failed: MangoErrorCode::InsufficientFunds; src/processor.rs:831", 500)
            cid = int(body["clientId"])
            best = perp.oracle_lots + 1 if side == "buy" else perp.oracle_lots - 1
            crosses = (best <= limit) if side == "buy" else (best >= limit)
            if kind == "postOnly" and crosses:
                return  # not posted: silent no-op
            if kind == "postOnlySlide" and crosses:
                limit, crosses = best - sign, False
            left = size_lots
            if crosses:
                for level in range(20):
                    price_lots = best + sign * level
                    if left == 0 or (side == "buy" and price_lots > limit) or (side == "sell" and price_lots < limit):
                        break
                    take = min(left, perp.depth_lots)
                    self._fill(perp, side, take, price_lots, taker_cid=cid, maker_cid=0, ours_taker=True)
                    left -= take
            if left and kind in ("limit", "postOnlySlide"):
                seq = next(self._seq)
                oid = (limit << 64) | seq
                if side == "buy":
                    oid = ~oid & (2**128 - 1)
                self.resting.append(Resting(str(oid), cid, perp.name, side, int(limit), left, time.time()))

    def cancel(self, *, order_id: str | None = None, client_id: str | None = None) -> bool:
        with self.lock:
            for r in self.resting:
                if r.order_id == order_id or (client_id is not None and str(r.client_id) == client_id):
                    self.resting.remove(r)
                    return True
            return False

    def cancel_all(self) -> None:
        with self.lock:
            self.resting.clear()

    def _cross_resting(self, perp: Perp) -> None:
        for r in [r for r in self.resting if r.market == perp.name]:
            if (r.side == "buy" and perp.oracle_lots + 1 <= r.price_lots) or (
                    r.side == "sell" and perp.oracle_lots - 1 >= r.price_lots):
                self.resting.remove(r)
                taker_side = "sell" if r.side == "buy" else "buy"
                self._fill(perp, taker_side, r.size_lots, r.price_lots, taker_cid=0, maker_cid=r.client_id,
                           ours_taker=False, maker_order_id=r.order_id)

    def _fill(self, perp: Perp, taker_side: str, lots: int, price_lots: int, *, taker_cid: int, maker_cid: int,
              ours_taker: bool, maker_order_id: str = "") -> None:
        now = time.time()
        price, qty = perp.px(price_lots), perp.qty(lots)
        our_side = taker_side if ours_taker else ("sell" if taker_side == "buy" else "buy")
        rate = perp.taker_fee if ours_taker else perp.maker_fee
        self.usdc -= price * qty * rate
        self._apply(perp, (1 if our_side == "buy" else -1) * lots, price)
        rows = self.fills.setdefault(perp.name, [])
        seq = len(rows) + 1
        rows.append({
            "address": perp.pk, "loadTimestamp": iso(now), "seqNum": seq,
            "maker": OURS if not ours_taker else MAKER, "makerOrderId": maker_order_id or str(seq * 7919),
            "makerClientOrderId": str(maker_cid), "makerFee": perp.maker_fee,
            "taker": OURS if ours_taker else MAKER, "takerOrderId": str(seq * 104729),
            "takerClientOrderId": str(taker_cid), "takerFee": perp.taker_fee,
            "takerSide": taker_side, "price": price, "quantity": qty,
        })
        self.trades.setdefault(perp.name, []).append(
            {"id": "", "price": price, "side": taker_side, "size": qty, "time": iso(now)})

    def _apply(self, perp: Perp, delta: int, price: float) -> None:
        held = self.holdings.setdefault(perp.name, Holding())
        before = held.base_lots
        after = before + delta
        if before == 0 or (before > 0) == (delta > 0):  # opening or adding
            held.entry = (abs(before) * held.entry + abs(delta) * price) / abs(after)
        else:  # reducing, closing or flipping: realize PnL on the closed part
            closed = min(abs(before), abs(delta))
            self.usdc += (1 if before > 0 else -1) * closed * perp.lot * (price - held.entry)
            if after != 0 and (after > 0) != (before > 0):
                held.entry = price
        held.base_lots = after
        if after == 0:
            del self.holdings[perp.name]
