"""The paper venue's order book: a price ladder around its mark, built from how it fills.

The paper venue fills a market order of any size at the mark moved by its slippage (engine's
`taker_price`), so the best bid and ask are exactly those prices; deeper levels step one more
slippage (at least one tick) away with a notional that grows with distance. It is a picture of
the venue's own pricing, not of a real market's liquidity — the window labels it as the venue's.
"""

from __future__ import annotations

from grace_desktop.domain.enums import OrderSide
from grace_desktop.domain.models import MarketSpec

# Notional at the best level and the growth per level further out (quote currency).
BASE_NOTIONAL = 25_000.0
GROWTH = 0.35

Level = tuple[float, float]  # (price, size)


def ladder(spec: MarketSpec, mark: float, best_bid: float, best_ask: float, depth: int) -> tuple[list[Level], list[Level]]:
    step = max(spec.tick_size, round(best_ask - mark, 12), round(mark - best_bid, 12))
    bids: list[Level] = []
    asks: list[Level] = []
    for i in range(max(0, depth)):
        notional = BASE_NOTIONAL * (1 + GROWTH * i)
        bid = round(best_bid - i * step, 12)
        ask = round(best_ask + i * step, 12)
        if bid > 0:
            bids.append((bid, spec.round_size_down(notional / bid) or spec.lot_size))
        asks.append((ask, spec.round_size_down(notional / ask) or spec.lot_size))
    return bids, asks


def paper_orderbook(engine: object, market: str, depth: int) -> dict[str, object] | None:
    """{"market", "bids", "asks", "mark"} of the paper venue's book, None before the market's first price."""
    spec: MarketSpec | None = engine.markets.get(market)  # type: ignore[attr-defined]
    mark: float | None = engine.marks.get(market)  # type: ignore[attr-defined]
    if spec is None or mark is None:
        return None
    bid = engine.taker_price(spec, OrderSide.SELL, mark)  # type: ignore[attr-defined]
    ask = engine.taker_price(spec, OrderSide.BUY, mark)  # type: ignore[attr-defined]
    bids, asks = ladder(spec, mark, bid, ask, depth)
    return {"market": market, "bids": bids, "asks": asks, "mark": mark}
