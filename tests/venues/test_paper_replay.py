"""The paper venue's history is complete: replaying it through domain.positions rebuilds the account.

Random sessions (market and limit orders, cancels, price moves big enough to liquidate, funding)
on a real SQLite file; then, from flat, `venue.fills()` and `venue.funding()` fed through
`apply_fill` / `apply_funding` must give exactly the venue's positions, and
starting balance + Σ cash + Σ funding its balance. This is what lets the journal rebuild the
round trips a crash made it miss.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grace_desktop.domain.enums import OrderSide
from grace_desktop.domain.models import Fill, OrderRequest, Position
from grace_desktop.domain.positions import apply_fill, apply_funding
from grace_desktop.storage import open_storage
from grace_desktop.venues.base import OrderRejected
from grace_desktop.venues.events import FillReported, FundingPaid, Liquidated, PositionChanged
from grace_desktop.venues.paper import PaperVenue
from tests.venues.helpers import Clock

START = {"SOL-PERP": 100.0, "BTC-PERP": 60_000.0, "SOL/USDC": 100.0}
MAX_LOTS = {"SOL-PERP": 3_000, "BTC-PERP": 50, "SOL/USDC": 3_000}
ACCOUNT = "alice"
BALANCE = 5_000.0

markets = st.sampled_from(sorted(START))
leverages = st.sampled_from([1, 3, 10, 20, 20])
moves = st.one_of(st.sampled_from([-0.1, -0.05, -0.03, 0.03, 0.05, 0.1]), st.floats(-0.12, 0.12))
reduce = st.sampled_from([False, False, False, True])
orders = st.tuples(st.just("market"), markets, st.sampled_from(["buy", "sell"]), st.integers(1, 3_000),
                   leverages, reduce)
ops = st.one_of(
    orders,
    st.tuples(st.just("tick"), markets, moves),
    orders,
    st.tuples(st.just("limit"), markets, st.sampled_from(["buy", "sell"]), st.integers(1, 3_000), leverages, reduce,
              st.sampled_from([-0.04, -0.02, -0.01, 0.01, 0.02, 0.04])),
    st.tuples(st.just("tick"), markets, moves),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
)
steps_of = st.tuples(ops, st.sampled_from([1, 15, 45, 130]))
# Every session opens leveraged perp positions first, so its price moves can liquidate them; steps
# of up to 130 s against a 120 s funding interval make funding fall due every few steps.
opening = st.tuples(
    st.tuples(st.tuples(st.just("market"), st.just("SOL-PERP"), st.sampled_from(["buy", "sell"]),
                        st.integers(100, 3_000), st.sampled_from([10, 20]), st.just(False)), st.just(1)),
    st.tuples(st.tuples(st.just("market"), st.just("BTC-PERP"), st.sampled_from(["buy", "sell"]),
                        st.integers(1, 50), st.sampled_from([5, 20]), st.just(False)), st.just(1)),
)
session = st.builds(lambda first, rest: [*first, *rest], opening, st.lists(steps_of, min_size=4, max_size=40))


async def run_session(steps: list[tuple[Any, int]], data_dir: Path) -> None:
    clock = Clock()
    store = open_storage(data_dir)
    venue = PaperVenue(store, starting_balance=BALANCE, slippage_bps=3.0, funding_interval_s=120.0,
                       index_halflife_s=60.0, clock=clock)
    await venue.start()
    events = venue.events()
    prices = dict(START)
    specs = await venue.markets()
    for market, price in prices.items():
        await venue.push_tick(market, price)
    limits: list[str] = []
    n = 0
    for op, dt in steps:
        # Every step at its own time, so fills and funding of different steps order by time.
        clock.advance(dt)
        kind, *args = op
        if kind == "tick":
            market, move = args
            prices[market] = specs[market].round_price(max(prices[market] * (1 + move), 1.0))
            await venue.push_tick(market, prices[market])
            continue
        if kind == "cancel":
            if limits:
                await venue.cancel_order(ACCOUNT, limits[args[0] % len(limits)])
            continue
        market, side, lots, leverage, reduce_only, *offset = args
        spec = specs[market]
        lots = min(lots, MAX_LOTS[market])
        n += 1
        fields: dict[str, Any] = dict(leverage=leverage if spec.is_perp else 1, reduce_only=reduce_only,
                                      client_id=f"c{n}")
        if kind == "limit":
            fields.update(order_type="limit", price=spec.round_price(prices[market] * (1 + offset[0])))
        try:
            await venue.place_order(OrderRequest(ACCOUNT, market, side, lots * spec.lot_size, **fields))
        except OrderRejected:
            continue
        if kind == "limit":
            limits.append(f"c{n}")

    fills = await venue.fills(ACCOUNT)
    funding = await venue.funding(ACCOUNT)
    positions = {p.market: p for p in await venue.positions(ACCOUNT)}
    balance = (await venue.portfolio(ACCOUNT)).balance

    # Replay from flat. Within one tick the venue books fills (resting limits, then a liquidation)
    # before funding; steps never share a time.
    history: list[tuple[float, int, int, Fill | FundingPaid]] = [(f.ts, 0, i, f) for i, f in enumerate(fills)]
    history += [(p.ts, 1, i, p) for i, p in enumerate(funding)]
    replayed: dict[str, Position] = {}
    entry_fees: dict[str, float] = {}
    cash = paid = 0.0
    for _, _, _, item in sorted(history, key=lambda h: h[:3]):
        if isinstance(item, FundingPaid):
            replayed[item.market] = apply_funding(replayed[item.market], item.amount)
            paid += item.amount
            continue
        order = await venue.order_by_client_id(ACCOUNT, item.client_id)
        assert order is not None, item
        outcome = apply_fill(
            replayed.get(item.market), spec=specs[item.market], account=ACCOUNT, side=OrderSide(item.side),
            size=item.size, price=item.price, fee=item.fee, leverage=order.request.leverage, ts=item.ts,
            entry_fees=entry_fees.get(item.market, 0.0), client_id=item.client_id,
            reason="liquidation" if item.liquidation else "fill",
        )
        cash += outcome.cash
        if outcome.position is None:
            replayed.pop(item.market, None)
            entry_fees.pop(item.market, None)
        else:
            replayed[item.market] = outcome.position
            entry_fees[item.market] = outcome.entry_fees
    assert replayed == positions
    assert BALANCE + cash + paid == pytest.approx(balance, rel=1e-12, abs=1e-9)

    # The event stream told the same story, in the same order.
    await venue.close()
    seen = [e async for e in events]
    assert [e.fill for e in seen if isinstance(e, FillReported | Liquidated)] == fills
    assert [e for e in seen if isinstance(e, FundingPaid)] == funding
    last: dict[str, Position | None] = {}
    for event in seen:
        if isinstance(event, PositionChanged):
            last[event.market] = event.position
    assert {m: p for m, p in last.items() if p is not None} == positions
    assert len({f.fill_id for f in fills}) == len(fills)
    store.close()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=session)
def test_replaying_the_venue_history_rebuilds_positions_and_balance(steps: list[tuple[Any, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run_session(steps, Path(tmp) / "data"))


def test_a_session_with_liquidations_and_funding_replays(tmp_path: Path) -> None:
    """A fixed session that surely liquidates and pays funding, so the property covers both."""
    steps: list[tuple[Any, int]] = [
        (("market", "SOL-PERP", "buy", 1_000, 20, False), 5),
        (("market", "BTC-PERP", "sell", 10, 5, False), 5),
        (("limit", "SOL-PERP", "sell", 500, 10, True, 0.03), 5),
        (("tick", "SOL-PERP", 0.04), 60),  # crosses the reduce-only limit
        (("tick", "BTC-PERP", 0.02), 90),  # funding is due: the short receives or pays
        (("tick", "SOL-PERP", -0.09), 90),  # liquidates what is left of the 20x long, pays funding first
        (("market", "SOL/USDC", "buy", 100, 1, False), 5),
        (("market", "SOL/USDC", "sell", 40, 1, False), 5),
    ]

    async def check() -> None:
        await run_session(steps, tmp_path / "data")
        with open_storage(tmp_path / "data") as store:
            fills = store.paper.fills(ACCOUNT)
            assert any(f.liquidation for f in fills) and any(f.maker for f in fills)
            assert store.paper.funding(ACCOUNT)

    asyncio.run(check())
